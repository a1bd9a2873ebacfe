import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { startSidecar, type RunningSidecar, type StartOptions } from '../../src/sidecar.js';
import { FIXTURE_ENTRYPOINTS, FIXTURE_POLICY, OPA } from './opa.js';

const run = promisify(execFile);

/** Starts a sidecar on an ephemeral loopback port with the given sidecar variables (decision logs off). */
export function startTestSidecar(
  env: Readonly<Record<string, string>>,
  options: StartOptions = {},
): Promise<RunningSidecar> {
  const config = loadConfig({ PORT: '0', DECISION_LOG: 'off', ...env });
  return startSidecar(config, { fileDebounceMs: 20, ...options });
}

/** Polls `check` every 10 ms until it returns true or `ms` pass; throws with `what` on timeout. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** POSTs `body` (JSON unless a string) and returns the status and parsed JSON answer. */
export async function post(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    headers: response.headers,
  };
}

/** The signing algorithms the sidecar accepts, with a key generator for each. */
export const SIGNING_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** A fresh key pair as PEM files in `dir`: `<name>.key` (PKCS#8) and the SPKI public PEM. */
export async function keyPair(
  dir: string,
  name: string,
  algorithm: (typeof SIGNING_ALGORITHMS)[number],
): Promise<{ privatePath: string; publicPem: string }> {
  const pair =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : algorithm === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePath = join(dir, `${name}.key`);
  await writeFile(privatePath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { privatePath, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

/** `opa build -b -t wasm` of the fixture policy, signed with `--signing-key` as users would do it. */
export async function buildSignedBundle(
  dir: string,
  options: {
    privatePath: string;
    algorithm: string;
    keyId?: string;
    revision?: string;
    output?: string;
    claimsFile?: string;
  },
): Promise<string> {
  const output = join(dir, options.output ?? 'signed.tar.gz');
  // opa build -b wants a bundle directory: the fixture policy is one (no .manifest, roots default).
  await run(
    OPA,
    [
      'build',
      '-b',
      '-t',
      'wasm',
      ...FIXTURE_ENTRYPOINTS.flatMap((e) => ['-e', e]),
      '--revision',
      options.revision ?? 'signed-rev',
      '--signing-key',
      options.privatePath,
      '--signing-alg',
      options.algorithm,
      ...(options.keyId === undefined ? [] : ['--verification-key-id', options.keyId]),
      ...(options.claimsFile === undefined ? [] : ['--claims-file', options.claimsFile]),
      '-o',
      output,
      '.',
    ],
    { cwd: FIXTURE_POLICY },
  );
  return output;
}

/** `BUNDLE_PUBLIC_KEYS` inline JSON for the given keys. */
export function publicKeysValue(
  keys: Readonly<Record<string, { algorithm: string; key: string; scope?: string }>>,
): string {
  return JSON.stringify({ keys });
}
