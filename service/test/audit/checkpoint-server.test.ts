import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCheckpoints } from '../../src/audit/checkpoint.js';
import { sealWith } from '../../src/audit/record.js';
import { verifyChain } from '../../src/audit/verify.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { BUNDLE_PATH, sample } from '../support/harness.js';
import { AUDIENCE, baseClaims, ISSUER, sign, TestIssuer } from '../support/issuer.js';

const SERVER = join(import.meta.dirname, '..', '..', 'src', 'server.ts');

/** Polls `probe` every 50 ms for up to 30 s (a TypeScript loader starting on a busy machine is slow). */
async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the server checkpoints the chain head after commits, exports it, and writes the last one on SIGTERM', async (t) => {
  const issuer = await TestIssuer.start();
  const dir = mkdtempSync(join(tmpdir(), 'verdict-checkpoint-server-'));
  t.teardown(async () => {
    await issuer.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const key = randomBytes(32);
  writeFileSync(join(dir, 'audit.key'), key.toString('hex'));
  const database = join(dir, 'verdict.db');
  const file = join(dir, 'anchors', 'audit-checkpoints.jsonl');
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      ADMIN_PORT: '0',
      JWKS_URL: issuer.jwksUrl.href,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      DATABASE_URL: `sqlite:${database}`,
      AUDIT_HMAC_KEY_FILE: join(dir, 'audit.key'),
      AUDIT_CHECKPOINT_FILE: file,
      PDP_MODE: 'embedded',
      BUNDLE_PATH,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const { address, admin } = await until(() => {
    if (child.exitCode !== null) throw new Error(`server exited: ${stderr}`);
    const line = stdout.split('\n').find((l) => l.includes('verdict service listening'));
    return line === undefined
      ? undefined
      : (JSON.parse(line) as { address: { port: number }; admin: { port: number } });
  }, 'the server to listen');

  // A customer reading the audit trail is refused, and the refusal is audited.
  const token = await sign(issuer.key('ES256'), baseClaims(Math.floor(Date.now() / 1000)));
  const refuse = async () => {
    const res = await fetch(`http://127.0.0.1:${address.port}/audit`, {
      headers: { authorization: `Bearer ${token}` },
    });
    t.is(res.status, 403);
    t.is(((await res.json()) as { code: string }).code, 'insufficient_scope');
  };
  await refuse();
  const [first] = await until(async () => {
    const lines = await readCheckpoints(file);
    return lines?.length === 1 ? lines : undefined;
  }, 'the first checkpoint');
  t.like(first, { seq: 1, line: 1 });
  const metrics = await (await fetch(`http://127.0.0.1:${admin.port}/metrics`)).text();
  t.is(sample(metrics, 'verdict_audit_checkpoint_seq'), 1);
  t.true((sample(metrics, 'verdict_audit_checkpoint_timestamp_seconds') ?? 0) > 0);

  await refuse();
  child.kill('SIGTERM');
  t.is(await exited, 0, stderr);
  const checkpoints = await readCheckpoints(file);
  t.like(checkpoints?.at(-1), { seq: 2 }, 'the head at shutdown is anchored');
  const store = SqliteStore.open(database, { seal: sealWith(key) });
  t.teardown(() => store.close());
  t.deepEqual(await verifyChain(store.auditTrail(), key, checkpoints), { ok: true, records: 2, lastSeq: 2 });
});
