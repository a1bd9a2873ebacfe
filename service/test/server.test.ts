import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealWith } from '../src/audit/record.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { BUNDLE_PATH, setupAuditEntry } from './support/harness.js';
import { baseClaims, sign, TestIssuer, AUDIENCE, ISSUER } from './support/issuer.js';

const SERVER = join(import.meta.dirname, '..', 'src', 'server.ts');

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = stdout.split('\n').find((l) => l.includes('verdict service listening'));
      if (line !== undefined) resolve((JSON.parse(line) as { address: { port: number } }).address.port);
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  listening.catch(() => undefined);
  return { child, exited, listening, output: () => ({ stdout, stderr }) };
}

test('a bad variable stops the process at start with one line naming it', async (t) => {
  const server = startServer({
    JWKS_URL: 'https://x.example/jwks',
    JWT_ISSUER: 'i',
    JWT_AUDIENCE: 'a',
    PDP_TIMEOUT_MS: 'soon',
  });
  t.is(await server.exited, 2);
  const { stderr } = server.output();
  t.is(stderr.trim().split('\n').length, 1);
  t.regex(stderr, /^verdict: configuration error: PDP_TIMEOUT_MS: must be a whole number/);
});

test('SIGTERM lets an in-flight request finish, then closes the database cleanly', async (t) => {
  const issuer = await TestIssuer.start();
  const dir = mkdtempSync(join(tmpdir(), 'verdict-server-'));
  t.teardown(async () => {
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const db = join(dir, 'verdict.db');
  // alice's account, opened before the service starts (the audit key is the test's own).
  const setup = SqliteStore.open(db, { seal: sealWith(randomBytes(32)) });
  await setup.openAccount(
    {
      id: 'acct-alice-retail',
      owner: 'alice',
      department: 'retail',
      currency: 'EUR',
      status: 'open',
      created_at: new Date().toISOString(),
      version: 1,
    },
    { ...setupAuditEntry('acct-alice-retail'), action: 'accounts:open', resource_type: 'account' },
  );
  await setup.close();
  const server = startServer({
    PORT: '0',
    ADMIN_PORT: '0',
    JWKS_URL: issuer.jwksUrl.href,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    DATABASE_URL: `sqlite:${db}`,
    AUDIT_CHECKPOINT_FILE: join(dir, 'audit-checkpoints.jsonl'),
    PDP_MODE: 'embedded',
    BUNDLE_PATH: BUNDLE_PATH,
    // Verified as npm start verifies it: the development key policy:build signs with.
    BUNDLE_PUBLIC_KEYS: join(import.meta.dirname, '..', '..', 'data', 'bundle-signing', 'keys.json'),
  });
  t.teardown(() => server.child.kill('SIGKILL'));
  const port = await server.listening;
  const token = await sign(issuer.key('ES256'), baseClaims(Math.floor(Date.now() / 1000)));
  const body = JSON.stringify({
    account_id: 'acct-alice-retail',
    amount_minor: 7,
    currency: 'EUR',
    category: 'other',
    counterparty: { name: 'N', account: 'A1' },
  });

  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/transactions',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      server.child.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 300);
  });
  const { status, text } = await response;
  t.is(status, 201, text);
  t.is(await server.exited, 0);
  t.true(existsSync(db));
  t.false(existsSync(`${db}-wal`), 'a clean close checkpoints and removes the WAL file');
  t.regex(server.output().stdout, /"msg":"stopped"/);
});
