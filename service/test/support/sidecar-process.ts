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
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health?bundles`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('sidecar did not start');
}
