import type Database from 'better-sqlite3';

/** Schema changes in order; each runs once, recorded in schema_migrations. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE transactions (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     account_id TEXT NOT NULL,
     amount_minor INTEGER NOT NULL,
     currency TEXT NOT NULL,
     category TEXT NOT NULL,
     counterparty_name TEXT NOT NULL,
     counterparty_account TEXT,
     note TEXT,
     status TEXT NOT NULL,
     department TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     version INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX transactions_page ON transactions (created_at DESC, id DESC);
   CREATE INDEX transactions_owner ON transactions (owner, created_at DESC, id DESC);
   CREATE INDEX transactions_department ON transactions (department, created_at DESC, id DESC);
   CREATE TABLE idempotency_keys (
     scope TEXT NOT NULL,
     key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     status INTEGER NOT NULL,
     body TEXT NOT NULL,
     location TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (scope, key)
   ) STRICT;`,
  `CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     time TEXT NOT NULL,
     request_id TEXT NOT NULL,
     decision_id TEXT,
     bundle_revision TEXT,
     action TEXT NOT NULL,
     resource_type TEXT NOT NULL,
     resource_id TEXT,
     sub TEXT,
     client_id TEXT,
     agent_id TEXT,
     agent_client_type TEXT,
     outcome TEXT NOT NULL,
     reasons TEXT NOT NULL,
     http_status INTEGER NOT NULL,
     changed_fields TEXT NOT NULL,
     client_ip TEXT,
     prev_mac TEXT NOT NULL,
     mac TEXT NOT NULL
   ) STRICT;
   CREATE INDEX audit_log_time ON audit_log (time);
   CREATE INDEX audit_log_sub ON audit_log (sub, seq);
   CREATE INDEX audit_log_resource ON audit_log (resource_id, seq);`,
  // Accounts: every transaction belongs to one, and takes its owner and department. Older rows
  // get the account their account_id names, from the earliest transaction on it.
  `CREATE TABLE accounts (
     id TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     department TEXT NOT NULL,
     currency TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT NOT NULL,
     version INTEGER NOT NULL
   ) STRICT;
   CREATE INDEX accounts_page ON accounts (created_at DESC, id DESC);
   CREATE INDEX accounts_owner ON accounts (owner, created_at DESC, id DESC);
   CREATE INDEX accounts_department ON accounts (department, created_at DESC, id DESC);
   INSERT INTO accounts (id, owner, department, currency, status, created_at, version)
     SELECT account_id, owner, department, currency, 'open', MIN(created_at), 1
     FROM transactions GROUP BY account_id;
   UPDATE transactions SET
     owner = (SELECT owner FROM accounts WHERE accounts.id = transactions.account_id),
     department = (SELECT department FROM accounts WHERE accounts.id = transactions.account_id);
   CREATE INDEX transactions_account ON transactions (account_id, created_at DESC, id DESC);
   ALTER TABLE idempotency_keys ADD COLUMN etag TEXT NOT NULL DEFAULT '';`,
];

/**
 * Brings the database up to the latest schema: each migration not yet recorded runs in its own
 * transaction with its row in schema_migrations. Applied migrations are never edited or renumbered.
 */
export function migrate(db: Database.Database, now: () => number): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const applied = (
    db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }
  ).v;
  const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (version <= applied) return;
    db.transaction(() => {
      db.exec(sql);
      record.run(version, new Date(now()).toISOString());
    })();
  });
}
