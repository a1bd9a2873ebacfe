import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BUNDLE_PATH } from './harness.js';

const SIDECAR_MAIN = join(import.meta.dirname, '..', '..', '..', 'sidecar', 'src', 'main.ts');

/** The real sidecar process on `port`, serving the compiled bundle; resolves once it has a bundle. */
export async function startSidecar(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SIDECAR_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      BUNDLE_PATH,
      DECISION_LOG: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  await waitHealthy(`http://127.0.0.1:${port}`, child, 'the sidecar');
  return child;
}

/**
 * Waits until an OPA-compatible server (the sidecar or `opa run --server`) answers
 * `/health?bundles` with 200; kills it and throws when it exits or takes over 20 s.
 */
export async function waitHealthy(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health?bundles`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not become ready in 20 s`);
}
