import test from 'ava';
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealWith } from '../../src/audit/record.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FROZEN_NOW_MS } from '../support/harness.js';

/**
 * The SHA-256 of each migration as released. Databases out there ran them: a migration is never
 * edited or renumbered, a change is a new one appended (and its digest added here).
 */
const RELEASED = [
  'b8ec4ac1f7654c791b2bf339484061a363159462bde19df5df8fb022fcd18acd',
  '05adca3a72e79a1197654006220705432ed4f0cbcd0a419c70bf87f924d82be6',
  '5f88812a452bb7262ce174c71ac5af8ab1b9e1394811ff57427d3c268fe868f2',
];

function tempDatabase(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-migrations-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return join(dir, 'verdict.db');
}

const open = (path: string) =>
  SqliteStore.open(path, { seal: sealWith(randomBytes(32)), now: () => FROZEN_NOW_MS });

test('released migrations are unchanged and in their order', (t) => {
  t.deepEqual(
    MIGRATIONS.slice(0, RELEASED.length).map((sql) => createHash('sha256').update(sql).digest('hex')),
    RELEASED,
  );
});

test('a database of release 2 (before accounts) migrates: each account_id becomes an open account as of its earliest transaction', async (t) => {
  const path = tempDatabase(t);
  const old = new Database(path);
  old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  old.exec(MIGRATIONS[0]!);
  old.exec(MIGRATIONS[1]!);
  old.exec(
    "INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00.000Z'), (2, '2026-02-01T00:00:00.000Z')",
  );
  const insert = old.prepare(
    `INSERT INTO transactions (id, owner, account_id, amount_minor, currency, category, counterparty_name,
       counterparty_account, note, status, department, created_at, updated_at, version)
     VALUES (?, ?, 'acct-1', 100, 'EUR', 'groceries', 'Shop', NULL, NULL, 'pending', ?, ?, ?, 1)`,
  );
  insert.run('tx-late', 'mallory', 'private', '2026-03-02T00:00:00.000Z', '2026-03-02T00:00:00.000Z');
  insert.run('tx-early', 'alice', 'retail', '2026-03-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z');
  old.close();

  const store = open(path);
  t.deepEqual(await store.getAccount('acct-1'), {
    id: 'acct-1',
    owner: 'alice',
    department: 'retail',
    currency: 'EUR',
    status: 'open',
    created_at: '2026-03-01T00:00:00.000Z',
    version: 1,
  });
  t.like(await store.get('tx-late'), { owner: 'alice', department: 'retail' }, 'rows take their account’s');
  await store.close();

  const reopened = open(path);
  t.teardown(() => reopened.close());
  const db = new Database(path, { readonly: true });
  t.teardown(() => db.close());
  t.deepEqual(db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all(), [
    { version: 1, applied_at: '2026-01-01T00:00:00.000Z' },
    { version: 2, applied_at: '2026-02-01T00:00:00.000Z' },
    { version: 3, applied_at: new Date(FROZEN_NOW_MS).toISOString() },
  ]);
  t.is(
    (await reopened.listAccounts({ limit: 10 }, [{}])).items.length,
    1,
    'reopening migrates nothing twice',
  );
});
