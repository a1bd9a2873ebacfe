/**
 * The production build (`npm run build`): the compiled service and sidecar run under plain Node with
 * the `production` condition — no TypeScript loader — and answer a secured read end to end, in both
 * PDP modes. `npm test` builds before the service tests; run alone, build first.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealWith } from '../../src/audit/record.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { BUNDLE_PATH, setupAuditEntry } from '../support/harness.js';
import { AUDIENCE, baseClaims, ISSUER, sign, TestIssuer } from '../support/issuer.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SERVICE_MAIN = join(ROOT, 'service', 'dist', 'server.js');
const SIDECAR_MAIN = join(ROOT, 'sidecar', 'dist', 'main.js');
const PUBLIC_KEYS = join(ROOT, 'data', 'bundle-signing', 'keys.json');

/** Plain Node on compiled JavaScript, as npm start and the containers run it. */
function runCompiled(main: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--conditions=production', main], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The port the compiled service logs once it listens; rejects with its stderr when it exits first. */
function listeningPort(child: ChildProcess): Promise<number> {
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.includes('verdict service listening'));
      if (line !== undefined) resolve((JSON.parse(line) as { address: { port: number } }).address.port);
    });
    child.on('exit', (code) => reject(new Error(`the service exited with ${code}: ${stderr}`)));
  });
}

test.before(() => {
  for (const main of [SERVICE_MAIN, SIDECAR_MAIN])
    if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
});

test('the compiled JavaScript imports no TypeScript source', (t) => {
  for (const main of [SERVICE_MAIN, SIDECAR_MAIN]) t.notRegex(readFileSync(main, 'utf8'), /\.ts['"]/);
  t.regex(
    readFileSync(join(ROOT, 'service', 'dist', 'authz', 'embedded-pdp.js'), 'utf8'),
    /@verdict\/sidecar\//,
  );
});

for (const mode of ['embedded', 'sidecar'] as const) {
  test.serial(
    `${mode} mode: the compiled service answers a secured read through the compiled engine`,
    async (t) => {
      const issuer = await TestIssuer.start();
      const dir = mkdtempSync(join(tmpdir(), 'verdict-compiled-'));
      const children: ChildProcess[] = [];
      t.teardown(async () => {
        for (const child of children) child.kill('SIGKILL');
        await issuer.stop();
        rmSync(dir, { recursive: true, force: true });
      });
      const db = join(dir, 'verdict.db');
      const store = SqliteStore.open(db, { seal: sealWith(randomBytes(32)) });
      const now = new Date().toISOString();
      await store.openAccount(
        {
          id: 'acct-alice-1',
          owner: 'alice',
          department: 'retail',
          currency: 'EUR',
          status: 'open',
          created_at: now,
          version: 1,
        },
        { ...setupAuditEntry('acct-alice-1'), action: 'accounts:open', resource_type: 'account' },
      );
      await store.close();

      const env: Record<string, string> = {
        PORT: '0',
        ADMIN_PORT: '0',
        JWKS_URL: issuer.jwksUrl.href,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        DATABASE_URL: `sqlite:${db}`,
        AUDIT_CHECKPOINT_FILE: join(dir, 'audit-checkpoints.jsonl'),
        LOG_LEVEL: 'warn',
        PDP_MODE: mode,
      };
      if (mode === 'embedded')
        Object.assign(env, { BUNDLE_PATH, BUNDLE_PUBLIC_KEYS: PUBLIC_KEYS, DECISION_LOG: 'off' });
      else {
        const socket = join(dir, 'pdp.sock');
        const sidecar = runCompiled(SIDECAR_MAIN, {
          SOCKET_PATH: socket,
          BUNDLE_PATH,
          BUNDLE_PUBLIC_KEYS: PUBLIC_KEYS,
          DECISION_LOG: 'off',
          LOG_LEVEL: 'warn',
        });
        children.push(sidecar);
        await waitUnixHealthy(socket, sidecar);
        env.PDP_URL = `unix:${socket}`;
      }
      const service = runCompiled(SERVICE_MAIN, { ...env, LOG_LEVEL: 'info' });
      children.push(service);
      const base = `http://127.0.0.1:${await listeningPort(service)}`;

      const token = await sign(issuer.key('ES256'), baseClaims(Math.floor(Date.now() / 1000)));
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${base}/transactions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          account_id: 'acct-alice-1',
          amount_minor: 1250,
          currency: 'EUR',
          category: 'dining',
          counterparty: { name: 'Cafe', account: 'FR7630006' },
        }),
      });
      t.is(created.status, 201, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      const read = await fetch(`${base}/transactions/${id}`, { headers });
      t.is(read.status, 200);
      t.like(await read.json(), { id, owner: 'alice', amount_minor: 1250 });
      const other = await sign(
        issuer.key('ES256'),
        baseClaims(Math.floor(Date.now() / 1000), { sub: 'bob' }),
      );
      const hidden = await fetch(`${base}/transactions/${id}`, {
        headers: { authorization: `Bearer ${other}` },
      });
      t.is(hidden.status, 404, "another customer's read is hidden by the compiled policy engine");
    },
  );
}

/** The sidecar's /health?bundles over its Unix socket. */
async function waitUnixHealthy(socket: string, child: ChildProcess): Promise<void> {
  const { Agent, request } = await import('undici');
  const dispatcher = new Agent({ connect: { socketPath: socket } });
  const deadline = Date.now() + 20_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the sidecar exited with ${child.exitCode}`);
      try {
        const response = await request('http://localhost/health?bundles', { dispatcher });
        await response.body.dump();
        if (response.statusCode === 200) return;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the sidecar did not become ready in 20 s');
  } finally {
    await dispatcher.close();
  }
}
