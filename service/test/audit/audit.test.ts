import test from 'ava';
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifyChain } from '../../src/audit/verify.js';
import { CUSTOMER_SCOPES, Harness, NEW_TRANSACTION } from '../support/harness.js';
import { trailOf } from '../support/trail.js';

const exec = promisify(execFile);
const BODY = { ...NEW_TRANSACTION, note: 'secret note' };
const ALL = CUSTOMER_SCOPES;

async function withHarness(t: any): Promise<Harness> {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  return h;
}

function trail(h: Harness) {
  return trailOf(h.store);
}

test('every mutation writes its audit record: who, what, outcome, status, changed field names', async (t) => {
  const h = await withHarness(t);
  const token = await h.token({
    sub: 'alice',
    client_id: 'web-app',
    scope: ALL,
    agent: { id: 'bot-7', client_type: 'confidential' },
    ...h.steppedUp,
  });
  const created = await h.request('POST', '/transactions', {
    token,
    body: BODY,
    headers: [['X-Request-Id', 'req-create']],
  });
  await h.request('PATCH', `/transactions/${created.body.id}`, {
    token,
    body: { note: 'n2' },
    headers: [['If-Match', '"1"']],
  });
  const manager = await h.token({
    sub: 'boss',
    roles: ['manager'],
    department: 'retail',
    scope: 'transactions:read transactions:approve',
  });
  await h.request('POST', `/transactions/${created.body.id}/reject`, { token: manager });
  const other = await h.request('POST', '/transactions', { token, body: BODY });
  await h.request('DELETE', `/transactions/${other.body.id}`, { token });

  // After the record of the harness opening alice's account (seq 1).
  const records = (await trail(h)).slice(1);
  t.deepEqual(
    records.map((r) => [r.seq, r.action, r.outcome, r.http_status, r.changed_fields.join(',')]),
    [
      [
        2,
        'transactions:create',
        'allowed',
        201,
        'account_id,amount_minor,category,counterparty,currency,note',
      ],
      [3, 'transactions:update', 'allowed', 200, 'note'],
      [4, 'transactions:reject', 'allowed', 200, 'status'],
      [
        5,
        'transactions:create',
        'allowed',
        201,
        'account_id,amount_minor,category,counterparty,currency,note',
      ],
      [6, 'transactions:delete', 'allowed', 204, ''],
    ],
  );
  t.like(records[0], {
    request_id: 'req-create',
    resource_type: 'transaction',
    resource_id: created.body.id,
    sub: 'alice',
    client_id: 'web-app',
    agent_id: 'bot-7',
    agent_client_type: 'confidential',
    client_ip: '127.0.0.1',
  });
  t.false(JSON.stringify(records).includes('secret note'), 'values never reach the audit trail');
  t.deepEqual(await verifyChain(await trail(h), h.auditKey), { ok: true, records: 6, lastSeq: 6 });
});

test('denials and step-up challenges are audited with their reason codes', async (t) => {
  const h = await withHarness(t);
  const owner = await h.token({ sub: 'victim', scope: ALL });
  const { body } = await h.request('POST', '/transactions', {
    token: owner,
    body: { ...BODY, account_id: await h.account('victim') },
  });
  const attacker = await h.token({ sub: 'attacker', scope: ALL });
  t.is((await h.request('GET', `/transactions/${body.id}`, { token: attacker })).status, 404);
  t.is(
    (
      await h.request('DELETE', `/transactions/${body.id}`, {
        token: await h.token({ sub: 'victim', scope: 'transactions:read' }),
      })
    ).status,
    403,
  );
  const denials = (await trail(h)).filter((r) => r.outcome === 'denied');
  t.deepEqual(
    denials.map((r) => [r.action, r.http_status, r.sub, r.resource_id]),
    [
      ['transactions:read', 404, 'attacker', body.id],
      ['transactions:delete', 403, 'victim', body.id],
    ],
  );
  t.true(denials[0]!.reasons.length > 0);
  t.deepEqual(denials[1]!.reasons, ['insufficient_scope']);
});

test('a write whose audit insert fails leaves no change behind', async (t) => {
  const h = await withHarness(t);
  const token = await h.token({ sub: 'alice', scope: ALL, ...h.steppedUp });
  const { body } = await h.request('POST', '/transactions', { token, body: BODY });
  const db = new Database(h.databasePath);
  db.exec(
    "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit storage failed'); END",
  );
  db.close();
  const created = await h.request('POST', '/transactions', { token, body: { ...BODY, amount_minor: 1 } });
  t.is(created.status, 500);
  t.is(created.body.code, 'internal_error');
  const patched = await h.request('PATCH', `/transactions/${body.id}`, {
    token,
    body: { note: 'lost?' },
    headers: [['If-Match', '"1"']],
  });
  t.is(patched.status, 500);
  const deleted = await h.request('DELETE', `/transactions/${body.id}`, { token });
  t.is(deleted.status, 500);
  const page = await h.store.list({ limit: 10 }, [{}]);
  t.deepEqual(
    page.items.map((item) => [item.amount_minor, item.note, item.version]),
    [[4200, 'secret note', 1]],
  );
  t.is((await trail(h)).length, 2, "the account's record and the first create's");
});

test('concurrent writers keep one valid chain', async (t) => {
  const h = await withHarness(t);
  const tokens = await Promise.all(['a', 'b', 'c', 'd'].map((sub) => h.token({ sub, scope: ALL })));
  const accounts = await Promise.all(['a', 'b', 'c', 'd'].map((sub) => h.account(sub)));
  const responses = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      h.request('POST', '/transactions', {
        token: tokens[i % 4],
        body: { ...BODY, amount_minor: i + 1, account_id: accounts[i % 4] },
      }),
    ),
  );
  t.true(responses.every((res) => res.status === 201));
  const verdict = await verifyChain(h.store.auditTrail(), h.auditKey);
  // 40 creates after the records of the five accounts they are made on.
  t.deepEqual(verdict, { ok: true, records: 45, lastSeq: 45 });
});

async function tamperedCopy(t: any, tamper: (db: Database.Database, key: Buffer) => void) {
  const h = await withHarness(t);
  const token = await h.token({ sub: 'alice', scope: ALL });
  for (let i = 0; i < 5; i++)
    await h.request('POST', '/transactions', { token, body: { ...BODY, amount_minor: i + 1 } });
  const db = new Database(h.databasePath);
  tamper(db, h.auditKey);
  db.close();
  return h;
}

const TAMPERING: [string, (db: Database.Database) => void, number, RegExp][] = [
  [
    'a record edited',
    (db) => db.exec("UPDATE audit_log SET sub = 'mallory' WHERE seq = 3"),
    3,
    /MAC does not match/,
  ],
  ['a record deleted', (db) => db.exec('DELETE FROM audit_log WHERE seq = 2'), 3, /record 2 is missing/],
  [
    'the last record deleted and the one before renumbered',
    (db) => db.exec('DELETE FROM audit_log WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 5'),
    4,
    /prev_mac/,
  ],
  [
    'two records swapped',
    (db) =>
      db.exec(
        'UPDATE audit_log SET seq = 100 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 100',
      ),
    2,
    /prev_mac/,
  ],
];
for (const [name, tamper, seq, problem] of TAMPERING) {
  test(`audit:verify catches ${name} and names the first broken record`, async (t) => {
    const h = await tamperedCopy(t, tamper);
    const verdict = await verifyChain(h.store.auditTrail(), h.auditKey);
    t.false(verdict.ok);
    if (!verdict.ok) {
      t.is(verdict.seq, seq);
      t.regex(verdict.problem, problem);
    }
  });
}

test('a chain recomputed without the key (with another key) is caught', async (t) => {
  const h = await tamperedCopy(t, () => undefined);
  // An attacker with database access rebuilds every MAC with a key of their own after editing seq 2.
  const { macOf, GENESIS_MAC } = await import('../../src/audit/record.js');
  const forged = randomBytes(32);
  const db = new Database(h.databasePath);
  db.exec("UPDATE audit_log SET sub = 'mallory' WHERE seq = 2");
  let prev = GENESIS_MAC;
  for (const row of db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as any[]) {
    const record = {
      ...row,
      reasons: JSON.parse(row.reasons),
      changed_fields: JSON.parse(row.changed_fields),
      prev_mac: prev,
    };
    delete record.mac;
    const mac = macOf(forged, record);
    db.prepare('UPDATE audit_log SET prev_mac = ?, mac = ? WHERE seq = ?').run(prev, mac, row.seq);
    prev = mac;
  }
  db.close();
  t.true(
    (await verifyChain(h.store.auditTrail(), forged)).ok,
    'the forged chain is consistent under the forger’s key',
  );
  const verdict = await verifyChain(h.store.auditTrail(), h.auditKey);
  t.false(verdict.ok);
  if (!verdict.ok) t.is(verdict.seq, 1);
});

test('npm run audit:verify reports an intact chain (exit 0) and a broken one (exit 1, naming the record)', async (t) => {
  const h = await withHarness(t);
  const token = await h.token({ sub: 'alice', scope: ALL });
  for (let i = 0; i < 3; i++) await h.request('POST', '/transactions', { token, body: BODY });
  const dir = mkdtempSync(join(tmpdir(), 'verdict-audit-'));
  const keyFile = join(dir, 'audit.key');
  writeFileSync(keyFile, h.auditKey.toString('hex'));
  writeFileSync(join(dir, 'audit-checkpoints.jsonl'), ''); // the default checkpoint file, beside the key
  const cli = join(import.meta.dirname, '..', '..', 'src', 'audit', 'verify-cli.ts');
  const env = {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: `sqlite:${h.databasePath}`,
    AUDIT_HMAC_KEY_FILE: keyFile,
  };
  const ok = await exec(process.execPath, ['--import', 'tsx', cli], { env });
  t.regex(ok.stdout, /audit chain intact: 4 records, last seq 4/);
  const db = new Database(h.databasePath);
  db.exec('UPDATE audit_log SET http_status = 200 WHERE seq = 2');
  db.close();
  const broken = await t.throwsAsync(exec(process.execPath, ['--import', 'tsx', cli], { env }));
  t.is((broken as any).code, 1);
  t.regex((broken as any).stdout, /audit chain BROKEN at seq 2 \(id [0-9a-f-]{36}\): MAC does not match/);
});

test('GET /audit: auditors with audit:read see the trail newest first, filtered and paged; JSON lines export', async (t) => {
  const h = await withHarness(t);
  const token = await h.token({ sub: 'alice', scope: ALL });
  for (let i = 0; i < 3; i++) await h.request('POST', '/transactions', { token, body: BODY });
  await h.request('GET', '/transactions/7d4c5b6a-1111-4222-8333-944455556666', { token });
  const bobToken = await h.token({ sub: 'bob', scope: ALL });
  await h.request('POST', '/transactions', {
    token: bobToken,
    body: { ...BODY, account_id: await h.account('bob') },
  });
  const auditor = await h.token({ sub: 'audrey', roles: ['auditor'], scope: 'transactions:read audit:read' });

  const page1 = await h.request('GET', '/audit?limit=2', { token: auditor });
  t.is(page1.status, 200, page1.text);
  t.deepEqual(
    page1.body.items.map((r: any) => r.seq),
    [6, 5],
  );
  const page2 = await h.request('GET', `/audit?limit=2&cursor=${page1.body.next_cursor}`, { token: auditor });
  t.deepEqual(
    page2.body.items.map((r: any) => r.seq),
    [4, 3],
  );
  const bobs = await h.request('GET', '/audit?sub=bob&outcome=allowed', { token: auditor });
  t.deepEqual(
    bobs.body.items.map((r: any) => r.sub),
    ['bob'],
  );
  const jsonl = await h.request('GET', '/audit?format=jsonl&sub=alice', { token: auditor });
  t.is(jsonl.headers['content-type'], 'application/x-ndjson');
  const lines = jsonl.text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.deepEqual(
    lines.map((r) => r.seq),
    [4, 3, 2],
  );

  const customer = await h.request('GET', '/audit', { token });
  t.is(customer.status, 403);
  t.is(customer.body.code, 'insufficient_scope');
  const bad = await h.request('GET', '/audit?outcome=maybe', { token: auditor });
  t.is(bad.status, 400);
  t.is(bad.body.code, 'validation_failed');
});
