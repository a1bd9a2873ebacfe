import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// The process as the stack runs it: config from the environment, one JSON line when listening.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('main: listens on PORT, logs "auth server listening" with its url, serves discovery, stops on SIGTERM', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-auth-main-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', KEYS_DIR: join(dir, 'keys'), ISSUER: 'http://127.0.0.1:8180' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  const lines = createInterface({ input: child.stdout });
  let listening: { msg: string; url: string } | undefined;
  for await (const line of lines) {
    const entry = JSON.parse(line) as { msg: string; url: string };
    if (entry.msg === 'auth server listening') {
      listening = entry;
      break;
    }
  }
  t.truthy(listening);
  t.regex(listening?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${listening?.url ?? ''}/.well-known/openid-configuration`);
  t.is(res.status, 200);
  // `iss` is ISSUER; endpoint URLs follow the Host the request came to (oidc-provider's behaviour).
  const url = listening?.url ?? '';
  t.like(await res.json(), {
    issuer: 'http://127.0.0.1:8180',
    introspection_endpoint: `${url}/token/introspection`,
    jwks_uri: `${url}/jwks`,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  t.is(await exited, 0);
});

test('main: a bad variable stops the start with exit 2 and a line naming it', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: 'eighty' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  t.is(code, 2);
  t.regex(stderr, /configuration error: PORT: must be a whole number/);
});
