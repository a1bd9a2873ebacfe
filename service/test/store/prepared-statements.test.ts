import test from 'ava';
import Database from 'better-sqlite3';
import { ACCOUNT, entry, NOW, openTestStore, transaction } from './fixtures.js';

/** Records the SQL of every `db.prepare` from now until the test ends. */
function countPrepares(t: { teardown: (fn: () => void) => void }): string[] {
  const prepared: string[] = [];
  const proto = Database.prototype as unknown as { prepare: (this: unknown, source: string) => unknown };
  const original = proto.prepare;
  proto.prepare = function countedPrepare(this: unknown, source: string) {
    prepared.push(source);
    return original.call(this, source);
  };
  t.teardown(() => {
    proto.prepare = original;
  });
  return prepared;
}

test.serial('fixed SQL is prepared once, when the store opens; dynamic SQL once per shape', async (t) => {
  const { store } = openTestStore(t);
  const prepared = countPrepares(t);
  const key = { scope: 'web-app\u0000alice', key: 'k', fingerprint: 'f' };
  const respond = () => ({ status: 201, body: {}, location: '/x', etag: '"1"' });

  /** Every store operation once, on rows of their own. */
  const round = async (n: number) => {
    const account = { ...ACCOUNT, id: `acct-${n}` };
    await store.openAccount(account, entry(account.id, 'accounts:open'), { ...key, key: `a${n}` }, respond);
    await store.create(transaction(`tx-${n}`, { account_id: account.id }), entry(`tx-${n}`), key, respond);
    await store.create(transaction(`tx-${n}-b`, { account_id: account.id }), entry(`tx-${n}-b`));
    await store.get(`tx-${n}`);
    await store.getWithAccount(`tx-${n}`);
    await store.list({ limit: 10, account_id: account.id }, [
      { owner: 'alice', category_not_in: ['travel'] },
    ]);
    await store.update(`tx-${n}-b`, 1, { note: 'n' }, NOW, entry(`tx-${n}-b`, 'u'));
    await store.setStatus(`tx-${n}-b`, 2, 'approved', NOW, entry(`tx-${n}-b`, 'a'));
    await store.delete(`tx-${n}-b`, 3, entry(`tx-${n}-b`, 'd'));
    await store.getAccount(account.id);
    await store.getAccounts([account.id, ACCOUNT.id]);
    await store.listAccounts({ limit: 10 }, [{ department: 'retail' }]);
    await store.setAccountStatus(account.id, 1, 'frozen', entry(account.id, 'f'));
    await store.appendAudit(entry(`r-${n}`, 'transactions:read'));
    await store.listAudit({ limit: 10, sub: 'test-setup' });
    await store.auditHead();
    for await (const record of store.auditTrail()) t.truthy(record.mac);
    await store.findIdempotent(key.scope, key.key);
    await store.ping();
  };

  await round(1);
  t.is(prepared.length, 3, `only the three list queries, one shape each: ${prepared.join(' | ')}`);
  prepared.length = 0;
  await round(2);
  t.deepEqual(prepared, [], 'nothing is prepared again');

  await store.list({ limit: 5, status: 'pending' }, [{ owner: 'alice' }, { department: 'retail' }]);
  t.is(prepared.length, 1, 'a new shape is prepared');
  await store.list({ limit: 7, status: 'settled' }, [{ owner: 'bob' }, { department: 'private' }]);
  t.is(prepared.length, 1, 'the same shape with other values is not');
});
