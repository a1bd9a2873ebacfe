import test from 'ava';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { confidentialClientIds, GATEWAY_CLIENT_ID } from '../src/clients.js';
import { KeyFileError, keyFiles, loadKeyMaterial } from '../src/keys.js';
import { startAuthServer } from './support/auth-server.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'verdict-auth-keys-'));
}

function options(keysDir: string) {
  return {
    keysDir,
    gatewayClientSecretFile: join(keysDir, 'gateway-client-secret'),
    gatewayClientId: GATEWAY_CLIENT_ID,
    confidentialClientIds: confidentialClientIds(),
  };
}

async function jwks(issuer: string): Promise<{ keys: Record<string, unknown>[] }> {
  return (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
}

test('keys are made once, mode 0600 in a 0700 dir, and reused across restarts', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const keysDir = join(root, 'keys');
  const first = await startAuthServer({ keysDir });
  const published = await jwks(first.issuer);
  await first.stop();

  const files = [
    'signing-key.jwk.json',
    'cookie-keys.json',
    'gateway-client-secret',
    ...confidentialClientIds().map((id) => join('client-secrets', id)),
  ];
  t.is((await stat(keysDir)).mode & 0o777, 0o700);
  for (const file of files) t.is((await stat(join(keysDir, file))).mode & 0o777, 0o600, file);
  t.deepEqual((await readdir(join(keysDir, 'client-secrets'))).sort(), confidentialClientIds().sort());

  const second = await startAuthServer({ keysDir });
  t.teardown(() => second.stop());
  t.deepEqual(await jwks(second.issuer), published);
  t.deepEqual(second.keys, first.keys);
  t.is(published.keys.length, 1);
  t.like(published.keys[0], {
    kty: 'EC',
    crv: 'P-256',
    alg: 'ES256',
    use: 'sig',
    kid: first.keys.signingKey.kid,
  });
  t.false('d' in (published.keys[0] ?? {}), 'the JWKS publishes no private part');
});

test('a key file others may read stops the start', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await loadKeyMaterial(options(root));
  await chmod(keyFiles(root).signingKey, 0o644);
  const error = await t.throwsAsync(loadKeyMaterial(options(root)), { instanceOf: KeyFileError });
  t.is(error.file, keyFiles(root).signingKey);
  t.regex(error.message, /mode 644/);
});

test('a given gateway secret file is used as it is', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const file = join(root, 'gateway-secret');
  const secret = 'g'.repeat(40);
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  const keys = await loadKeyMaterial({ ...options(join(root, 'keys')), gatewayClientSecretFile: file });
  t.is(keys.clientSecrets[GATEWAY_CLIENT_ID], secret);
});

test('a short secret or a malformed signing key stops the start', async (t) => {
  const root = await tempDir();
  t.teardown(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, 'gateway-client-secret'), 'short', { mode: 0o600 });
  await t.throwsAsync(loadKeyMaterial(options(root)), { instanceOf: KeyFileError, message: /32 characters/ });
  const other = join(root, 'other');
  await loadKeyMaterial(options(other));
  await writeFile(keyFiles(other).signingKey, '{"kty":"oct","k":"abc"}', { mode: 0o600 });
  await t.throwsAsync(loadKeyMaterial(options(other)), { instanceOf: KeyFileError, message: /EC P-256/ });
});
