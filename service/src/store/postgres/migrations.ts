import type pg from 'pg';

/**
 * Schema changes in order; each runs once, recorded in schema_migrations. The schema of the
 * SQLite driver's migrations as they stand, in PostgreSQL's types: timestamps as `toISOString()`
 * text and ids in the "C" collation, so text order is time order and id order is byte order as on
 * SQLite, whatever the database's locale; amounts and sequence numbers as bigint; the idempotency
 * scope as bytea (it joins client_id and sub with a NUL, which PostgreSQL text cannot hold). Beside
 * it, the one row of audit_chain_head (see audit-log.ts).
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE accounts (
     id TEXT COLLATE "C" PRIMARY KEY,
     owner TEXT NOT NULL,
     department TEXT NOT NULL,
     currency TEXT NOT NULL,
     status TEXT NOT NULL,
     created_at TEXT COLLATE "C" NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE INDEX accounts_page ON accounts (created_at DESC, id DESC);
   CREATE INDEX accounts_owner ON accounts (owner, created_at DESC, id DESC);
   CREATE INDEX accounts_department ON accounts (department, created_at DESC, id DESC);
   CREATE TABLE transactions (
     id TEXT COLLATE "C" PRIMARY KEY,
     owner TEXT NOT NULL,
     account_id TEXT NOT NULL,
     amount_minor BIGINT NOT NULL,
     currency TEXT NOT NULL,
     category TEXT NOT NULL,
     counterparty_name TEXT NOT NULL,
     counterparty_account TEXT,
     note TEXT,
     status TEXT NOT NULL,
     department TEXT NOT NULL,
     created_at TEXT COLLATE "C" NOT NULL,
     updated_at TEXT NOT NULL,
     version INTEGER NOT NULL
   );
   CREATE INDEX transactions_page ON transactions (created_at DESC, id DESC);
   CREATE INDEX transactions_owner ON transactions (owner, created_at DESC, id DESC);
   CREATE INDEX transactions_department ON transactions (department, created_at DESC, id DESC);
   CREATE INDEX transactions_account ON transactions (account_id, created_at DESC, id DESC);
   CREATE TABLE idempotency_keys (
     scope BYTEA NOT NULL,
     key TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     status INTEGER NOT NULL,
     body TEXT NOT NULL,
     location TEXT NOT NULL,
     created_at TEXT COLLATE "C" NOT NULL,
     etag TEXT NOT NULL DEFAULT '',
     PRIMARY KEY (scope, key)
   );
   CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
   CREATE TABLE audit_log (
     seq BIGINT PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     time TEXT COLLATE "C" NOT NULL,
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
   );
   CREATE INDEX audit_log_time ON audit_log (time);
   CREATE INDEX audit_log_sub ON audit_log (sub, seq);
   CREATE INDEX audit_log_resource ON audit_log (resource_id, seq);
   CREATE TABLE audit_chain_head (
     one_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one_row),
     seq BIGINT NOT NULL,
     mac TEXT,
     time TEXT
   );
   INSERT INTO audit_chain_head (seq) VALUES (0);`,
];

/** The advisory lock one migrating replica holds while the others wait (a fixed key of Verdict's). */
const MIGRATION_LOCK = "hashtext('verdict.schema_migrations')";

/**
 * Brings the database up to the latest schema: each migration not yet recorded runs in its own
 * transaction with its row in schema_migrations. Replicas starting together take turns on a
 * session advisory lock, so each migration runs once. Applied migrations are never edited or
 * renumbered.
 */
export async function migrate(pool: pg.Pool, now: () => number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
      );
      const result = await client.query<{ v: number }>(
        'SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations',
      );
      const applied = result.rows[0]?.v ?? 0;
      for (const [index, sql] of MIGRATIONS.entries()) {
        const version = index + 1;
        if (version <= applied) continue;
        await client.query('BEGIN');
        try {
          await client.query(sql);
          await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
            version,
            new Date(now()).toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    client.release();
  }
}
