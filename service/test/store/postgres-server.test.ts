import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLE_PATH } from '../support/harness.js';
import { AUDIENCE, ISSUER, TestIssuer } from '../support/issuer.js';
import { STORE_DRIVERS } from '../support/store-drivers.js';

// The service's start with DATABASE_URL=postgres://…: server.ts → connectStore → PostgresStore.

const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server.ts');
const SECRET = 's3cret-Pa55';
const postgres = STORE_DRIVERS.find((driver) => driver.name === 'postgres')!;

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

/** Starts server.ts with the database URL (embedded PDP). */
function startServer(
  t: import('ava').ExecutionContext,
  databaseUrl: string,
  jwksUrl = 'http://127.0.0.1:9/jwks',
) {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-pg-server-'));
  writeFileSync(join(dir, 'audit.key'), randomBytes(32).toString('hex'));
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      ADMIN_PORT: '0',
      JWKS_URL: jwksUrl,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      DATABASE_URL: databaseUrl,
      AUDIT_HMAC_KEY_FILE: join(dir, 'audit.key'),
      PDP_MODE: 'embedded',
      BUNDLE_PATH,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = stdout.split('\n').find((l) => l.includes('verdict service listening'));
      if (line !== undefined) resolve((JSON.parse(line) as { address: { port: number } }).address.port);
    });
    void exited.then((code) => {
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  listening.catch(() => undefined);
  return { child, exited, listening, output: () => ({ stdout, stderr }) };
}

test('DATABASE_URL=postgres://…: the service starts on PostgreSQL, is ready, and stops cleanly on SIGTERM', async (t) => {
  const { url } = await postgres.open(t);
  const withPassword = new URL(url);
  withPassword.password = SECRET;
  const issuer = await TestIssuer.start();
  t.teardown(() => issuer.stop());
  const server = startServer(t, withPassword.toString(), issuer.jwksUrl.href);
  const port = await server.listening;
  const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
  const body = await ready.text();
  t.is(ready.status, 200, body);
  t.like(JSON.parse(body), { status: 'ready' });
  server.child.kill('SIGTERM');
  t.is(await server.exited, 0);
  const { stdout, stderr } = server.output();
  t.regex(stdout, /"database":"postgres"/);
  t.false((stdout + stderr).includes(SECRET), 'the password reaches no log line');
});

test('DATABASE_URL=postgres://… unreachable: the start fails with one line naming where, not the password', async (t) => {
  const port = await freePort();
  const server = startServer(t, `postgres://verdict:${SECRET}@127.0.0.1:${port}/verdict`);
  t.is(await server.exited, 1);
  const { stdout, stderr } = server.output();
  t.is(
    stderr,
    `verdict: failed to start: cannot open the PostgreSQL database at 127.0.0.1:${port}/verdict: ` +
      `connect ECONNREFUSED 127.0.0.1:${port}\n`,
  );
  t.false((stdout + stderr).includes(SECRET));
});
