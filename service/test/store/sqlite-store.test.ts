import test from 'ava';
import Database from 'better-sqlite3';
import type { AuditLog } from '../../src/store/audit-log.js';
import type { StoredResponse } from '../../src/store/idempotency-store.js';
import { ACCOUNT, entry, NOW, openTestStore, transaction } from './fixtures.js';

const KEY = { scope: 'web-app\u0000alice', key: 'key-1', fingerprint: 'fp-1' };
const respond = (created: { id: string }): Omit<StoredResponse, 'fingerprint'> => ({
  status: 201,
  body: { id: created.id },
  location: `/transactions/${created.id}`,
  etag: '"1"',
});

/** Runs `work` on a connection of its own, as another process with access to the file would. */
function elsewhere<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** How many audit records another connection sees: the committed ones. */
const committedRecords = (path: string): number =>
  elsewhere(path, (db) => (db.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n);

/** What a write gives while FAIL_AUDIT's trigger refuses audit records. */
const AUDIT_DOWN = { any: true, code: 'SQLITE_CONSTRAINT_TRIGGER' } as const;

const FAIL_AUDIT =
  "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'down'); END";

test('a change whose audit record cannot be written is rolled back, and onAuditFailure is called', async (t) => {
  let failures = 0;
  const { store, path } = openTestStore(t, {
    onAuditFailure: () => {
      failures++;
    },
  });
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await store.create(transaction('tx-1'), entry('tx-1'));
  elsewhere(path, (db) => db.exec(FAIL_AUDIT));

  await t.throwsAsync(async () => store.create(transaction('tx-2'), entry('tx-2'), KEY, respond), AUDIT_DOWN);
  await t.throwsAsync(
    async () => store.update('tx-1', 1, { note: 'changed' }, NOW, entry('tx-1', 'transactions:update')),
    AUDIT_DOWN,
  );
  await t.throwsAsync(async () => store.delete('tx-1', 1, entry('tx-1', 'transactions:delete')), AUDIT_DOWN);
  await t.throwsAsync(
    async () => store.setAccountStatus(ACCOUNT.id, 1, 'frozen', entry(ACCOUNT.id, 'accounts:freeze')),
    AUDIT_DOWN,
  );
  await t.throwsAsync(async () => store.appendAudit(entry('tx-1', 'transactions:read')), AUDIT_DOWN);

  t.is(failures, 5);
  t.is(await store.get('tx-2'), undefined, 'no row without its record');
  t.is(await store.findIdempotent(KEY.scope, KEY.key), undefined, 'no stored response either');
  t.like(await store.get('tx-1'), { note: 'first', version: 1 });
  t.like(await store.getAccount(ACCOUNT.id), { status: 'open', version: 1 });
  t.is([...store.auditTrail()].length, 2);
});

test('an idempotent create stores its response with the row and its record; the key replays it', async (t) => {
  const { store } = openTestStore(t);
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  const first = await store.create(transaction('tx-1'), entry('tx-1'), KEY, respond);
  t.like(first, { kind: 'created', created: { id: 'tx-1' } });
  const again = await store.create(transaction('tx-2'), entry('tx-2'), KEY, respond);
  t.deepEqual(again, { kind: 'replay', response: { fingerprint: 'fp-1', ...respond({ id: 'tx-1' }) } });
  t.is(await store.get('tx-2'), undefined);
  t.deepEqual(await store.findIdempotent(KEY.scope, KEY.key), {
    fingerprint: 'fp-1',
    ...respond({ id: 'tx-1' }),
  });
  t.deepEqual(
    [...store.auditTrail()].map((record) => record.resource_id),
    [ACCOUNT.id, 'tx-1'],
    'a replay writes no record',
  );
});

test('an account frozen after the decision takes no transaction: no row, no record, no key', async (t) => {
  const { store } = openTestStore(t);
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await store.setAccountStatus(ACCOUNT.id, 1, 'frozen', entry(ACCOUNT.id, 'accounts:freeze'));
  t.deepEqual(await store.create(transaction('tx-1'), entry('tx-1'), KEY, respond), {
    kind: 'account_not_open',
  });
  t.deepEqual(await store.create(transaction('tx-2', { account_id: 'acct-unknown' }), entry('tx-2')), {
    kind: 'account_not_open',
  });
  t.is(await store.get('tx-1'), undefined);
  t.is(await store.findIdempotent(KEY.scope, KEY.key), undefined);
  t.is([...store.auditTrail()].length, 2);
});

test('a stale version changes nothing and writes no record', async (t) => {
  const { store } = openTestStore(t);
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await store.create(transaction('tx-1'), entry('tx-1'));
  t.is(await store.update('tx-1', 2, { note: 'x' }, NOW, entry('tx-1', 'transactions:update')), undefined);
  t.is(await store.setStatus('tx-1', 2, 'approved', NOW, entry('tx-1', 'transactions:approve')), undefined);
  t.false(await store.delete('tx-1', 2, entry('tx-1', 'transactions:delete')));
  t.is(
    await store.setAccountStatus(ACCOUNT.id, 2, 'frozen', entry(ACCOUNT.id, 'accounts:freeze')),
    undefined,
  );
  t.like(await store.get('tx-1'), { note: 'first', status: 'pending', version: 1 });
  t.is([...store.auditTrail()].length, 2);
});

test('update: a null note clears it, an absent field is left alone, the version and updated_at move', async (t) => {
  const { store } = openTestStore(t);
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await store.create(transaction('tx-1'), entry('tx-1'));
  const later = '2026-11-23T11:00:00.000Z';
  t.like(await store.update('tx-1', 1, { category: 'dining' }, later, entry('tx-1', 'u1')), {
    note: 'first',
    category: 'dining',
    version: 2,
    updated_at: later,
  });
  t.like(await store.update('tx-1', 2, { note: null }, later, entry('tx-1', 'u2')), {
    note: null,
    category: 'dining',
    version: 3,
  });
  t.like(await store.update('tx-1', 3, { note: 'again', category: 'travel' }, later, entry('tx-1', 'u3')), {
    note: 'again',
    category: 'travel',
    version: 4,
  });
  t.like(await store.setStatus('tx-1', 4, 'approved', later, entry('tx-1', 'a')), {
    status: 'approved',
    note: 'again',
    version: 5,
  });
  t.deepEqual(await store.get('tx-1'), {
    ...transaction('tx-1'),
    note: 'again',
    category: 'travel',
    status: 'approved',
    updated_at: later,
    version: 5,
  });
});

test('getAccounts: the existing accounts of the ids, duplicates and unknown ids ignored', async (t) => {
  const { store } = openTestStore(t);
  const bob = { ...ACCOUNT, id: 'acct-bob-retail', owner: 'bob' };
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await store.openAccount(bob, entry(bob.id, 'accounts:open'));
  const found = await store.getAccounts([bob.id, 'acct-nobody', bob.id, ACCOUNT.id]);
  t.deepEqual([...found.keys()].sort(), [ACCOUNT.id, bob.id]);
  t.deepEqual(found.get(bob.id), bob);
  t.is((await store.getAccounts([])).size, 0);
});

test('onAuditAppended is called inside the write with the log, which reads the committed head after it', async (t) => {
  const seen: { head: number | undefined; committed: number }[] = [];
  const logs: Pick<AuditLog, 'auditHead'>[] = [];
  let path = '';
  const opened = openTestStore(t, {
    onAuditAppended: (log) => {
      logs.push(log);
      seen.push({ head: log.auditHead()?.seq, committed: committedRecords(path) });
    },
  });
  path = opened.path;
  await opened.store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await opened.store.appendAudit(entry('tx-0', 'transactions:read'));
  t.deepEqual(seen, [
    { head: 1, committed: 0 },
    { head: 2, committed: 1 },
  ]);
  t.deepEqual(
    logs.map((log) => log.auditHead()?.seq),
    [2, 2],
  );
  t.is(committedRecords(path), 2);
});

test('getWithAccount: the transaction and its account as get and getAccount read them; unknown id → undefined', async (t) => {
  const { store } = openTestStore(t);
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await store.create(transaction('tx-joined'), entry('tx-joined'));
  t.truthy(await store.get('tx-joined'));
  t.deepEqual(await store.getWithAccount('tx-joined'), {
    transaction: await store.get('tx-joined'),
    account: await store.getAccount(ACCOUNT.id),
  });
  t.is(await store.getWithAccount('tx-unknown'), undefined);
});
