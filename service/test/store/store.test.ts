import test from 'ava';
import type { ListFilterClause } from '../../src/authz/decision.js';
import type { AuditLog } from '../../src/store/audit-log.js';
import type { StoredResponse } from '../../src/store/idempotency-store.js';
import type { Store } from '../../src/store/store.js';
import type { ListQuery } from '../../src/store/transaction-store.js';
import { CATEGORIES, type Transaction } from '../../src/transactions/model.js';
import { STORE_DRIVERS } from '../support/store-drivers.js';
import { trailOf } from '../support/trail.js';
import { ACCOUNT, entry, NOW, transaction } from './fixtures.js';

// The store suite: every test runs once per driver (SQLite and PostgreSQL) on a fresh database.

const KEY = { scope: 'web-app\u0000alice', key: 'key-1', fingerprint: 'fp-1' };
const respond = (created: { id: string }): Omit<StoredResponse, 'fingerprint'> => ({
  status: 201,
  body: { id: created.id },
  location: `/transactions/${created.id}`,
  etag: '"1"',
});

for (const driver of STORE_DRIVERS) {
  const { open } = driver;

  test(`${driver.name}: a change whose audit record cannot be written is rolled back, and onAuditFailure is called`, async (t) => {
    let failures = 0;
    const { store, exec } = await open(t, {
      onAuditFailure: () => {
        failures++;
      },
    });
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    await store.create(transaction('tx-1'), entry('tx-1'));
    await exec(driver.failAudit.sql);
    const down = { any: true, code: driver.failAudit.code } as const;

    await t.throwsAsync(async () => store.create(transaction('tx-2'), entry('tx-2'), KEY, respond), down);
    await t.throwsAsync(
      async () => store.update('tx-1', 1, { note: 'changed' }, NOW, entry('tx-1', 'transactions:update')),
      down,
    );
    await t.throwsAsync(async () => store.delete('tx-1', 1, entry('tx-1', 'transactions:delete')), down);
    await t.throwsAsync(
      async () => store.setAccountStatus(ACCOUNT.id, 1, 'frozen', entry(ACCOUNT.id, 'accounts:freeze')),
      down,
    );
    await t.throwsAsync(async () => store.appendAudit(entry('tx-1', 'transactions:read')), down);

    t.is(failures, 5);
    t.is(await store.get('tx-2'), undefined, 'no row without its record');
    t.is(await store.findIdempotent(KEY.scope, KEY.key), undefined, 'no stored response either');
    t.like(await store.get('tx-1'), { note: 'first', version: 1 });
    t.like(await store.getAccount(ACCOUNT.id), { status: 'open', version: 1 });
    t.is((await trailOf(store)).length, 2);
  });

  test(`${driver.name}: an idempotent create stores its response with the row and its record; the key replays it`, async (t) => {
    const { store } = await open(t);
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
    t.is(await store.findIdempotent(KEY.scope, 'key-2'), undefined);
    t.deepEqual(
      (await trailOf(store)).map((record) => record.resource_id),
      [ACCOUNT.id, 'tx-1'],
      'a replay writes no record',
    );
  });

  test(`${driver.name}: creates under one key on two replicas at once: one row, one record, the others replay it`, async (t) => {
    const { store, replica } = await open(t);
    const other = await replica();
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? store : other).create(transaction(`tx-${i}`), entry(`tx-${i}`), KEY, respond),
      ),
    );
    const created = outcomes.filter((outcome) => outcome.kind === 'created');
    t.is(created.length, 1);
    const winner = created[0]?.kind === 'created' ? created[0].created.id : 'none';
    for (const outcome of outcomes.filter((each) => each.kind !== 'created'))
      t.deepEqual(outcome, { kind: 'replay', response: { fingerprint: 'fp-1', ...respond({ id: winner }) } });
    t.is((await store.list({ limit: 20 }, [{}])).items.length, 1);
    t.is((await trailOf(store)).length, 2);
  });

  test(`${driver.name}: an account frozen after the decision takes no transaction: no row, no record, no key`, async (t) => {
    const { store } = await open(t);
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
    t.is((await trailOf(store)).length, 2);
  });

  test(`${driver.name}: a freeze racing creates on another replica: every create that went in committed before the freeze`, async (t) => {
    const { store, replica } = await open(t);
    const other = await replica();
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    const creates = Array.from({ length: 30 }, (_, i) =>
      other.create(transaction(`tx-${i}`), entry(`tx-${i}`)),
    );
    const frozen = store.setAccountStatus(ACCOUNT.id, 1, 'frozen', entry(ACCOUNT.id, 'accounts:freeze'));
    const outcomes = await Promise.all(creates);
    t.like(await frozen, { status: 'frozen', version: 2 });
    // The chain's order is the commit order: no transaction's record may follow the freeze's.
    const trail = await trailOf(store);
    const freezeSeq = trail.find((record) => record.action === 'accounts:freeze')?.seq ?? 0;
    const createdSeqs = trail.filter((record) => record.action === 'transactions:create').map((r) => r.seq);
    t.true(
      createdSeqs.every((seq) => seq < freezeSeq),
      `freeze at ${freezeSeq}, creates at ${createdSeqs.join(',')}`,
    );
    const created = outcomes.filter((outcome) => outcome.kind === 'created').length;
    t.is(created, createdSeqs.length);
    t.is(outcomes.length - created, outcomes.filter((outcome) => outcome.kind === 'account_not_open').length);
    t.is((await store.list({ limit: 50 }, [{}])).items.length, created);
  });

  test(`${driver.name}: a stale version changes nothing and writes no record`, async (t) => {
    const { store } = await open(t);
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
    t.is((await trailOf(store)).length, 2);
  });

  test(`${driver.name}: concurrent updates of one version on two replicas: exactly one wins`, async (t) => {
    const { store, replica } = await open(t);
    const other = await replica();
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    await store.create(transaction('tx-1'), entry('tx-1'));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? store : other).update('tx-1', 1, { note: `n${i}` }, NOW, entry('tx-1', `u${i}`)),
      ),
    );
    const winners = results.filter((result) => result !== undefined);
    t.is(winners.length, 1);
    t.like(await store.get('tx-1'), { note: winners[0]?.note, version: 2 });
    t.is((await trailOf(store)).length, 3);
  });

  test(`${driver.name}: CRUD: create, read, update (a null note clears it, an absent field is left alone), approve, delete`, async (t) => {
    const { store } = await open(t);
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    t.deepEqual(await store.create(transaction('tx-1'), entry('tx-1')), {
      kind: 'created',
      created: transaction('tx-1'),
    });
    t.deepEqual(await store.get('tx-1'), transaction('tx-1'));
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
    t.true(await store.delete('tx-1', 5, entry('tx-1', 'd')));
    t.is(await store.get('tx-1'), undefined);
    t.false(await store.delete('tx-1', 5, entry('tx-1', 'd2')), 'gone: nothing to delete');
    t.deepEqual(
      (await trailOf(store)).map((record) => record.action),
      ['accounts:open', 'transactions:create', 'u1', 'u2', 'u3', 'a', 'd'],
    );
  });

  test(`${driver.name}: amounts up to 2^53 − 1 round-trip exactly`, async (t) => {
    const { store } = await open(t);
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    const big = transaction('tx-big', { amount_minor: Number.MAX_SAFE_INTEGER });
    await store.create(big, entry('tx-big'));
    t.is((await store.get('tx-big'))?.amount_minor, Number.MAX_SAFE_INTEGER);
  });

  test(`${driver.name}: getAccounts: the existing accounts of the ids, duplicates and unknown ids ignored`, async (t) => {
    const { store } = await open(t);
    const bob = { ...ACCOUNT, id: 'acct-bob-retail', owner: 'bob' };
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    await store.openAccount(bob, entry(bob.id, 'accounts:open'));
    const found = await store.getAccounts([bob.id, 'acct-nobody', bob.id, ACCOUNT.id]);
    t.deepEqual([...found.keys()].sort(), [ACCOUNT.id, bob.id]);
    t.deepEqual(found.get(bob.id), bob);
    t.deepEqual(await store.getAccount(bob.id), bob);
    t.is(await store.getAccount('acct-nobody'), undefined);
    t.is((await store.getAccounts([])).size, 0);
  });

  test(`${driver.name}: onAuditAppended is called after the write commits, with the log, which reads the committed head`, async (t) => {
    const seen: Promise<{ head: number | undefined; committed: number }>[] = [];
    const logs: Pick<AuditLog, 'auditHead'>[] = [];
    let committed: () => Promise<number> = () => Promise.resolve(-1);
    const opened = await open(t, {
      onAuditAppended: (log) => {
        logs.push(log);
        seen.push(
          (async () => {
            const [head, count] = await Promise.all([log.auditHead(), committed()]);
            return { head: head?.seq, committed: count };
          })(),
        );
      },
    });
    committed = async () =>
      Number((await opened.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM audit_log'))[0]?.n);
    await opened.store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    const first = await seen[0];
    await opened.store.appendAudit(entry('tx-0', 'transactions:read'));
    t.deepEqual(
      [first, await seen[1]],
      [
        { head: 1, committed: 1 },
        { head: 2, committed: 2 },
      ],
    );
    t.deepEqual(await Promise.all(logs.map(async (log) => (await log.auditHead())?.seq)), [2, 2]);
  });

  test(`${driver.name}: getWithAccount: the transaction and its account as get and getAccount read them; unknown id → undefined`, async (t) => {
    const { store } = await open(t);
    await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
    await store.create(transaction('tx-joined'), entry('tx-joined'));
    t.truthy(await store.get('tx-joined'));
    t.deepEqual(await store.getWithAccount('tx-joined'), {
      transaction: await store.get('tx-joined'),
      account: await store.getAccount(ACCOUNT.id),
    });
    t.is(await store.getWithAccount('tx-unknown'), undefined);
  });

  test(`${driver.name}: ping answers; close ends the store, twice is fine, and a closed store refuses work`, async (t) => {
    const { store } = await open(t);
    await store.ping();
    await store.close();
    await store.close();
    await t.throwsAsync(async () => store.ping());
  });
}

// ---- List filters and keyset pages: the same answers on both drivers, as a reference computes them.

const OWNERS = ['alice', 'bob', 'Carol', 'dave'] as const;
const DEPARTMENTS = ['retail', 'private'] as const;
const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

/** 90 transactions with repeated timestamps (ties broken by id) and ids of mixed case. */
const ROWS: Transaction[] = Array.from({ length: 90 }, (_, i) => {
  const owner = OWNERS[i % OWNERS.length]!;
  const day = 10 + (i % 7);
  return transaction(`${i % 3 === 0 ? 'TX' : 'tx'}-${String((i * 37) % 101).padStart(3, '0')}`, {
    owner,
    account_id: `acct-${owner}`,
    department: DEPARTMENTS[i % 2]!,
    currency: CURRENCIES[i % 3]!,
    category: CATEGORIES[i % CATEGORIES.length]!,
    amount_minor: (i * 7919) % 50_000,
    status: i % 5 === 0 ? 'approved' : 'pending',
    created_at: `2026-11-${day}T0${i % 4}:00:00.000Z`,
    updated_at: `2026-11-${day}T0${i % 4}:00:00.000Z`,
  });
});

/** What the filters select, by the rules of ARCHITECTURE.md's list filter (or: any clause; and: its fields). */
function reference(
  query: Omit<ListQuery, 'limit' | 'after'>,
  anyOf: readonly ListFilterClause[],
): Transaction[] {
  const known = new Set([
    'owner',
    'department',
    'currency',
    'created_at_gte',
    'amount_minor_lte',
    'category_not_in',
  ]);
  const clauseMatches = (clause: ListFilterClause, row: Transaction): boolean =>
    Object.keys(clause).every((field) => known.has(field)) &&
    (clause.owner === undefined || row.owner === clause.owner) &&
    (clause.department === undefined || row.department === clause.department) &&
    (clause.currency === undefined || row.currency === clause.currency) &&
    (clause.created_at_gte === undefined ||
      row.created_at >= new Date(clause.created_at_gte).toISOString()) &&
    (clause.amount_minor_lte === undefined || row.amount_minor <= clause.amount_minor_lte) &&
    !(clause.category_not_in ?? []).includes(row.category);
  return ROWS.filter(
    (row) =>
      anyOf.some((clause) => clauseMatches(clause, row)) &&
      (query.category === undefined || row.category === query.category) &&
      (query.status === undefined || row.status === query.status) &&
      (query.account_id === undefined || row.account_id === query.account_id) &&
      (query.since === undefined || row.created_at >= new Date(query.since).toISOString()) &&
      (query.until === undefined || row.created_at < new Date(query.until).toISOString()) &&
      (query.min_amount === undefined || row.amount_minor >= query.min_amount) &&
      (query.max_amount === undefined || row.amount_minor <= query.max_amount),
  ).sort((a, b) =>
    a.created_at === b.created_at ? (a.id < b.id ? 1 : -1) : a.created_at < b.created_at ? 1 : -1,
  );
}

const LISTS: [string, Omit<ListQuery, 'limit' | 'after'>, ListFilterClause[]][] = [
  ['everything', {}, [{}]],
  ['nothing (no clause)', {}, []],
  ['one owner', {}, [{ owner: 'alice' }]],
  ['an owner or a department', {}, [{ owner: 'Carol' }, { department: 'retail' }]],
  [
    'a department in one currency, categories excluded',
    {},
    [{ department: 'private', currency: 'EUR', category_not_in: ['groceries', 'travel'] }],
  ],
  [
    'recent and small (an agent)',
    {},
    [{ owner: 'bob', created_at_gte: '2026-11-13T00:00:00Z', amount_minor_lte: 20_000 }],
  ],
  ['a clause on an unknown field matches nothing', {}, [{ owner: 'alice', iban: 'x' } as ListFilterClause]],
  [
    'query filters on top',
    { status: 'pending', min_amount: 5000, max_amount: 40_000 },
    [{ department: 'retail' }, { owner: 'dave' }],
  ],
  [
    'a window and a category',
    { since: '2026-11-12T00:00:00Z', until: '2026-11-15T02:00:00Z', category: CATEGORIES[1] },
    [{}],
  ],
  ['one account', { account_id: 'acct-bob' }, [{}]],
];

/** Every page of a list, walked to its end by the last item's cursor. */
async function walk(
  store: Store,
  query: Omit<ListQuery, 'limit' | 'after'>,
  anyOf: ListFilterClause[],
  limit: number,
) {
  const pages: string[][] = [];
  let after: ListQuery['after'];
  for (;;) {
    const page = await store.list({ ...query, limit, ...(after === undefined ? {} : { after }) }, anyOf);
    pages.push(page.items.map((item) => item.id));
    const last = page.items.at(-1);
    if (!page.hasMore || last === undefined) return pages;
    after = { created_at: last.created_at, id: last.id };
  }
}

test('list filters and keyset pages: both drivers give the pages a reference filter computes', async (t) => {
  const answers: Record<string, unknown>[] = [];
  for (const driver of STORE_DRIVERS) {
    const { store } = await driver.open(t);
    for (const owner of OWNERS)
      await store.openAccount(
        { ...ACCOUNT, id: `acct-${owner}`, owner },
        entry(`acct-${owner}`, 'accounts:open'),
      );
    for (const row of ROWS) t.is((await store.create(row, entry(row.id))).kind, 'created');
    const answer: Record<string, unknown> = {};
    for (const [name, query, anyOf] of LISTS) {
      const expected = reference(query, anyOf).map((row) => row.id);
      for (const limit of [7, 100]) {
        const pages = await walk(store, query, anyOf, limit);
        t.deepEqual(pages.flat(), expected, `${driver.name}: ${name}, pages of ${limit}`);
        t.true(
          pages.slice(0, -1).every((page) => page.length === limit),
          `${driver.name}: ${name}: full pages`,
        );
        answer[`${name} / ${limit}`] = pages;
      }
    }
    const accounts = await store.listAccounts({ limit: 2 }, [{ owner: 'alice' }, { owner: 'dave' }]);
    answer.accounts = accounts;
    answer.frozenAccounts = await store.listAccounts({ limit: 2, status: 'frozen' }, [{}]);
    answers.push(answer);
  }
  t.true(ROWS.some((row) => row.id.startsWith('TX')) && reference({}, [{}]).length === ROWS.length);
  t.deepEqual(answers[0], answers[1], 'sqlite and postgres agree');
});
