import test from 'ava';
import Database from 'better-sqlite3';
import type { ListFilterClause } from '../../src/authz/decision.js';
import { listFilterSql, type FilterTable } from '../../src/store/sqlite/list-filter-sql.js';
import { migrate } from '../../src/store/sqlite/migrations.js';
import { FROZEN_NOW_MS } from '../support/harness.js';

// The decision tables (policy-tests) check this SQL against what `batch` allows for their rows;
// these are the cases a policy does not produce: what the store does on its own, failing closed.

const db = new Database(':memory:');
migrate(db, () => FROZEN_NOW_MS);
const insertTransaction = db.prepare(
  `INSERT INTO transactions (id, owner, account_id, amount_minor, currency, category, counterparty_name,
     counterparty_account, note, status, department, created_at, updated_at, version)
   VALUES (@id, @owner, 'acct', @amount_minor, @currency, @category, 'Shop', NULL, NULL, 'pending', @department,
     @created_at, @created_at, 1)`,
);
const ROWS = [
  ['a-groceries', 'alice', 'retail', 'EUR', 'groceries', 1000, '2026-11-20T09:30:00.000Z'],
  ['a-travel', 'alice', 'retail', 'EUR', 'travel', 125000, '2026-08-15T08:00:00.000Z'],
  ['b-transfer', 'bob', 'retail', 'USD', 'transfer', 250000, '2026-11-22T08:00:00.000Z'],
  ['c-salary', 'carol', 'private', 'GBP', 'salary', 320000, '2026-11-18T07:00:00.000Z'],
] as const;
for (const [id, owner, department, currency, category, amount_minor, created_at] of ROWS) {
  insertTransaction.run({ id, owner, department, currency, category, amount_minor, created_at });
  db.prepare(
    `INSERT OR IGNORE INTO accounts (id, owner, department, currency, status, created_at, version)
     VALUES (?, ?, ?, ?, 'open', ?, 1)`,
  ).run(`acct-${owner}`, owner, department, currency, created_at);
}

/** The ids of `table` the filter selects, sorted. */
function selected(table: FilterTable, anyOf: readonly unknown[]): string[] {
  const { sql, params } = listFilterSql(table, anyOf as ListFilterClause[]);
  const rows = db.prepare(`SELECT id FROM ${table} WHERE ${sql} ORDER BY id`).all(...params) as {
    id: string;
  }[];
  return rows.map((row) => row.id);
}

const ALL = ['a-groceries', 'a-travel', 'b-transfer', 'c-salary'];

const CASES: [string, FilterTable, unknown[], string[]][] = [
  ['no clause matches no row (any_of: [])', 'transactions', [], []],
  ['an empty clause matches every row', 'transactions', [{}], ALL],
  [
    'clauses are ORed',
    'transactions',
    [{ owner: 'bob' }, { department: 'private' }],
    ['b-transfer', 'c-salary'],
  ],
  [
    'fields of one clause are ANDed',
    'transactions',
    [{ owner: 'alice', amount_minor_lte: 1000 }],
    ['a-groceries'],
  ],
  [
    'created_at_gte compares instants, whatever the RFC 3339 form',
    'transactions',
    [{ created_at_gte: '2026-11-20T10:30:00+01:00' }],
    ['a-groceries', 'b-transfer'],
  ],
  [
    'category_not_in leaves the listed categories out',
    'transactions',
    [{ owner: 'alice', category_not_in: ['travel', 'crypto'] }],
    ['a-groceries'],
  ],
  [
    'an empty category_not_in leaves nothing out',
    'transactions',
    [{ owner: 'alice', category_not_in: [] }],
    ['a-groceries', 'a-travel'],
  ],
  [
    'a field the table cannot check matches nothing',
    'transactions',
    [{ owner: 'alice', status: 'pending' }],
    [],
  ],
  [
    'an unchecked clause beside a good one matches only the good one’s rows',
    'transactions',
    [{ account_id: 'acct' }, { owner: 'bob' }],
    ['b-transfer'],
  ],
  ['a null owner matches nothing', 'transactions', [{ owner: null }], []],
  [
    'regression: a null category_not_in matches nothing, not every row',
    'transactions',
    [{ category_not_in: null }],
    [],
  ],
  ['a category_not_in that is no list matches nothing', 'transactions', [{ category_not_in: 'travel' }], []],
  [
    'accounts: the owner, department and currency fields apply',
    'accounts',
    [{ department: 'retail', currency: 'USD' }],
    ['acct-bob'],
  ],
  [
    'accounts: created_at_gte cannot be checked, so nothing matches',
    'accounts',
    [{ created_at_gte: '2026-01-01T00:00:00Z' }],
    [],
  ],
  [
    'accounts: amount_minor_lte cannot be checked, so nothing matches',
    'accounts',
    [{ amount_minor_lte: 1 }],
    [],
  ],
  ['accounts: no clause matches no account', 'accounts', [], []],
];
for (const [name, table, anyOf, ids] of CASES) {
  test(`list filter: ${name}`, (t) => {
    t.deepEqual(selected(table, anyOf), ids);
  });
}

test('list filter: the SQL text depends on the clauses’ shape only; every value is a parameter', (t) => {
  const hostile = "x' OR 1=1 --";
  const one = listFilterSql('transactions', [{ owner: hostile, category_not_in: [hostile, 'crypto'] }]);
  const other = listFilterSql('transactions', [{ owner: 'bob', category_not_in: ['travel'] }]);
  t.is(one.sql, other.sql);
  t.false(one.sql.includes(hostile));
  t.deepEqual(one.params, [hostile, JSON.stringify([hostile, 'crypto'])]);
  t.deepEqual(selected('transactions', [{ owner: hostile }]), []);
});
