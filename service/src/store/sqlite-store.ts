import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Account, AccountStatus } from '../accounts/model.js';
import type { AccountListQuery, AccountStore } from '../accounts/store.js';
import type { AuditEntry, AuditRecord } from '../audit/record.js';
import type { ListFilterClause } from '../authz/decision.js';
import type { Category, Status, Transaction, TransactionChanges } from '../transactions/model.js';
import type {
  AuditQuery,
  CreateOutcome,
  IdempotencyKey,
  ListQuery,
  Page,
  StoredResponse,
  TransactionStore,
} from '../transactions/store.js';

/** Schema changes in order; each runs once, recorded in schema_migrations. */
const MIGRATIONS: readonly string[] = [
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

/** How long an idempotency key is remembered. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

interface Row {
  id: string;
  owner: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  category: string;
  counterparty_name: string;
  counterparty_account: string | null;
  note: string | null;
  status: string;
  department: string;
  created_at: string;
  updated_at: string;
  version: number;
}

interface AccountRow {
  id: string;
  owner: string;
  department: string;
  currency: string;
  status: string;
  created_at: string;
  version: number;
}

function fromAccountRow(row: AccountRow): Account {
  return { ...row, status: row.status as AccountStatus };
}

interface AuditRow extends Omit<AuditRecord, 'reasons' | 'changed_fields'> {
  reasons: string;
  changed_fields: string;
}

/** Seals an audit entry as the record after `prev` (the audit chain's key stays outside the store). */
export type AuditSealer = (entry: AuditEntry, prev: { seq: number; mac: string } | undefined) => AuditRecord;

function fromAuditRow(row: AuditRow): AuditRecord {
  return {
    ...row,
    reasons: JSON.parse(row.reasons) as string[],
    changed_fields: JSON.parse(row.changed_fields) as string[],
  };
}

interface IdempotencyRow {
  fingerprint: string;
  status: number;
  body: string;
  location: string;
  etag: string;
}

function fromRow(row: Row): Transaction {
  return {
    id: row.id,
    owner: row.owner,
    account_id: row.account_id,
    amount_minor: row.amount_minor,
    currency: row.currency,
    category: row.category as Category,
    counterparty: { name: row.counterparty_name, account: row.counterparty_account },
    note: row.note,
    status: row.status as Status,
    department: row.department,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}

function fromIdempotencyRow(row: IdempotencyRow): StoredResponse {
  return {
    fingerprint: row.fingerprint,
    status: row.status,
    body: JSON.parse(row.body),
    location: row.location,
    etag: row.etag,
  };
}

/** Timestamps are stored as `toISOString()` text, so text order is time order; inputs are normalised to it. */
function isoTime(value: string): string {
  return new Date(value).toISOString();
}

/** The list-filter fields a table has columns for. */
const TRANSACTION_FILTER_FIELDS: ReadonlySet<string> = new Set([
  'owner',
  'department',
  'currency',
  'created_at_gte',
  'amount_minor_lte',
  'category_not_in',
]);
const ACCOUNT_FILTER_FIELDS: ReadonlySet<string> = new Set(['owner', 'department', 'currency']);

/**
 * SQL for "any clause matches", clause fields ANDed; no clause matches no row, and neither does a
 * clause with a field the table cannot check (fail closed).
 */
function clausesSql(
  anyOf: readonly ListFilterClause[],
  params: unknown[],
  fields: ReadonlySet<string> = TRANSACTION_FILTER_FIELDS,
): string {
  if (anyOf.length === 0) return '0';
  const clauses = anyOf.map((clause) => {
    if (Object.keys(clause).some((field) => !fields.has(field))) return '0';
    const parts: string[] = [];
    const where = (sql: string, ...values: unknown[]): void => {
      parts.push(sql);
      params.push(...values);
    };
    if (clause.owner !== undefined) where('owner = ?', clause.owner);
    if (clause.department !== undefined) where('department = ?', clause.department);
    if (clause.currency !== undefined) where('currency = ?', clause.currency);
    if (clause.created_at_gte !== undefined) where('created_at >= ?', isoTime(clause.created_at_gte));
    if (clause.amount_minor_lte !== undefined) where('amount_minor <= ?', clause.amount_minor_lte);
    const excluded = clause.category_not_in ?? [];
    if (excluded.length > 0) where(`category NOT IN (${excluded.map(() => '?').join(', ')})`, ...excluded);
    return parts.length === 0 ? '1' : `(${parts.join(' AND ')})`;
  });
  return `(${clauses.join(' OR ')})`;
}

/** The default store: one SQLite file, created and migrated when opened. */
export class SqliteStore implements TransactionStore, AccountStore {
  readonly #db: Database.Database;

  private constructor(
    db: Database.Database,
    private readonly now: () => number,
    private readonly seal: AuditSealer,
  ) {
    this.#db = db;
  }

  /** Called when an audit record cannot be written (the change it belongs to is rolled back). */
  onAuditFailure: (() => void) | undefined;

  /** Opens (creating if needed) and migrates the database at `path` (`:memory:` for a throwaway one). */
  static open(path: string, seal: AuditSealer, now: () => number = Date.now): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const applied = (
      db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }
    ).v;
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (version <= applied) return;
      db.transaction(() => {
        db.exec(sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
          version,
          new Date(now()).toISOString(),
        );
      })();
    });
    return new SqliteStore(db, now, seal);
  }

  /** Opens the store a `sqlite:<path>` DATABASE_URL names. */
  static fromUrl(url: string, seal: AuditSealer, now?: () => number): SqliteStore {
    return SqliteStore.open(url.slice('sqlite:'.length), seal, now);
  }

  /** Appends one sealed record; must run inside a write transaction, which fixes the order. */
  #append(entry: AuditEntry): AuditRecord {
    const prev = this.#db.prepare('SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; mac: string } | undefined;
    const record = this.seal(entry, prev);
    try {
      this.#insertAudit(record);
    } catch (error) {
      this.onAuditFailure?.();
      throw error;
    }
    this.onAuditAppended?.();
    return record;
  }

  #insertAudit(record: AuditRecord): void {
    this.#db
      .prepare(
        `INSERT INTO audit_log (seq, id, time, request_id, decision_id, bundle_revision, action, resource_type,
           resource_id, sub, client_id, agent_id, agent_client_type, outcome, reasons, http_status, changed_fields,
           client_ip, prev_mac, mac)
         VALUES (@seq, @id, @time, @request_id, @decision_id, @bundle_revision, @action, @resource_type,
           @resource_id, @sub, @client_id, @agent_id, @agent_client_type, @outcome, @reasons, @http_status,
           @changed_fields, @client_ip, @prev_mac, @mac)`,
      )
      .run({
        ...record,
        reasons: JSON.stringify(record.reasons),
        changed_fields: JSON.stringify(record.changed_fields),
      });
  }

  appendAudit(audit: AuditEntry): Promise<AuditRecord> {
    return Promise.resolve(this.#db.transaction(() => this.#append(audit)).immediate());
  }

  listAudit(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const where: string[] = ['1'];
    const params: unknown[] = [];
    const filter = (sql: string, value: unknown): void => {
      where.push(sql);
      params.push(value);
    };
    if (query.beforeSeq !== undefined) filter('seq < ?', query.beforeSeq);
    if (query.since !== undefined) filter('time >= ?', isoTime(query.since));
    if (query.until !== undefined) filter('time < ?', isoTime(query.until));
    if (query.sub !== undefined) filter('sub = ?', query.sub);
    if (query.resource_id !== undefined) filter('resource_id = ?', query.resource_id);
    if (query.outcome !== undefined) filter('outcome = ?', query.outcome);
    const rows = this.#db
      .prepare(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`)
      .all(...params, query.limit) as AuditRow[];
    return Promise.resolve(rows.map(fromAuditRow));
  }

  /** Called right after an audit record is inserted, inside its transaction (the checkpointer sets it). */
  onAuditAppended: (() => void) | undefined;

  #auditHeadQuery: Database.Statement | undefined;

  auditHead(): { seq: number; mac: string; time: string } | undefined {
    this.#auditHeadQuery ??= this.#db.prepare(
      'SELECT seq, mac, time FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    return this.#auditHeadQuery.get() as { seq: number; mac: string; time: string } | undefined;
  }

  *auditTrail(): Iterable<AuditRecord> {
    for (const row of this.#db
      .prepare('SELECT * FROM audit_log ORDER BY seq')
      .iterate() as Iterable<AuditRow>) {
      yield fromAuditRow(row);
    }
  }

  /**
   * Runs `insert` in one write transaction with its audit record, unless the key already holds a
   * response (a replay); stores the response under the key when there is one.
   */
  #createOnce<T>(
    audit: AuditEntry,
    idempotency: IdempotencyKey | undefined,
    respond: ((created: T) => Omit<StoredResponse, 'fingerprint'>) | undefined,
    createdAt: string,
    insert: () => T | undefined,
  ): CreateOutcome<T> {
    const db = this.#db;
    const run = db.transaction((): CreateOutcome<T> => {
      if (idempotency !== undefined) {
        db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(
          new Date(this.now() - IDEMPOTENCY_TTL_MS).toISOString(),
        );
        const existing = db
          .prepare(
            'SELECT fingerprint, status, body, location, etag FROM idempotency_keys WHERE scope = ? AND key = ?',
          )
          .get(idempotency.scope, idempotency.key) as IdempotencyRow | undefined;
        if (existing !== undefined) return { kind: 'replay', response: fromIdempotencyRow(existing) };
      }
      const created = insert();
      if (created === undefined) return { kind: 'account_not_open' };
      if (idempotency !== undefined && respond !== undefined) {
        const response = respond(created);
        db.prepare(
          `INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, location, created_at, etag)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          idempotency.scope,
          idempotency.key,
          idempotency.fingerprint,
          response.status,
          JSON.stringify(response.body),
          response.location,
          createdAt,
          response.etag,
        );
      }
      this.#append(audit);
      return { kind: 'created', created };
    });
    return run.immediate();
  }

  create(
    transaction: Transaction,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (transaction: Transaction) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome> {
    const db = this.#db;
    return Promise.resolve(
      this.#createOnce(audit, idempotency, respond, transaction.created_at, () => {
        // The decision saw an open account; it must still be open when the row goes in.
        const account = db.prepare('SELECT status FROM accounts WHERE id = ?').get(transaction.account_id) as
          { status: string } | undefined;
        if (account?.status !== 'open') return undefined;
        db.prepare(
          `INSERT INTO transactions (id, owner, account_id, amount_minor, currency, category, counterparty_name,
             counterparty_account, note, status, department, created_at, updated_at, version)
           VALUES (@id, @owner, @account_id, @amount_minor, @currency, @category, @counterparty_name,
             @counterparty_account, @note, @status, @department, @created_at, @updated_at, @version)`,
        ).run({
          id: transaction.id,
          owner: transaction.owner,
          account_id: transaction.account_id,
          amount_minor: transaction.amount_minor,
          currency: transaction.currency,
          category: transaction.category,
          counterparty_name: transaction.counterparty.name,
          counterparty_account: transaction.counterparty.account,
          note: transaction.note,
          status: transaction.status,
          department: transaction.department,
          created_at: transaction.created_at,
          updated_at: transaction.updated_at,
          version: transaction.version,
        });
        return transaction;
      }),
    );
  }

  openAccount(
    account: Account,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (account: Account) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome<Account>> {
    return Promise.resolve(
      this.#createOnce(audit, idempotency, respond, account.created_at, () => {
        this.#db
          .prepare(
            `INSERT INTO accounts (id, owner, department, currency, status, created_at, version)
             VALUES (@id, @owner, @department, @currency, @status, @created_at, @version)`,
          )
          .run(account);
        return account;
      }),
    );
  }

  getAccount(id: string): Promise<Account | undefined> {
    const row = this.#db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return Promise.resolve(row === undefined ? undefined : fromAccountRow(row));
  }

  getAccounts(ids: readonly string[]): Promise<ReadonlyMap<string, Account>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return Promise.resolve(new Map());
    const rows = this.#db
      .prepare(`SELECT * FROM accounts WHERE id IN (${unique.map(() => '?').join(', ')})`)
      .all(...unique) as AccountRow[];
    return Promise.resolve(new Map(rows.map((row) => [row.id, fromAccountRow(row)])));
  }

  listAccounts(query: AccountListQuery, anyOf: readonly ListFilterClause[]): Promise<Page<Account>> {
    const params: unknown[] = [];
    const where = [clausesSql(anyOf, params, ACCOUNT_FILTER_FIELDS)];
    if (query.status !== undefined) {
      where.push('status = ?');
      params.push(query.status);
    }
    if (query.after !== undefined) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(query.after.created_at, query.after.created_at, query.after.id);
    }
    const rows = this.#db
      .prepare(
        `SELECT * FROM accounts WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, query.limit + 1) as AccountRow[];
    return Promise.resolve({
      items: rows.slice(0, query.limit).map(fromAccountRow),
      hasMore: rows.length > query.limit,
    });
  }

  setAccountStatus(
    id: string,
    version: number,
    status: AccountStatus,
    audit: AuditEntry,
  ): Promise<Account | undefined> {
    const change = this.#db.transaction(() => {
      const row = this.#db
        .prepare(
          'UPDATE accounts SET status = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING *',
        )
        .get(status, id, version) as AccountRow | undefined;
      if (row === undefined) return undefined;
      this.#append(audit);
      return fromAccountRow(row);
    });
    return Promise.resolve(change.immediate());
  }

  findIdempotent(scope: string, key: string): Promise<StoredResponse | undefined> {
    const row = this.#db
      .prepare(
        'SELECT fingerprint, status, body, location, etag, created_at FROM idempotency_keys WHERE scope = ? AND key = ?',
      )
      .get(scope, key) as (IdempotencyRow & { created_at: string }) | undefined;
    const fresh = row !== undefined && Date.parse(row.created_at) >= this.now() - IDEMPOTENCY_TTL_MS;
    return Promise.resolve(fresh ? fromIdempotencyRow(row) : undefined);
  }

  get(id: string): Promise<Transaction | undefined> {
    const row = this.#db.prepare('SELECT * FROM transactions WHERE id = ?').get(id) as Row | undefined;
    return Promise.resolve(row === undefined ? undefined : fromRow(row));
  }

  list(query: ListQuery, anyOf: readonly ListFilterClause[]): Promise<Page> {
    const params: unknown[] = [];
    const where = [clausesSql(anyOf, params)];
    const filter = (sql: string, value: unknown): void => {
      where.push(sql);
      params.push(value);
    };
    if (query.account_id !== undefined) filter('account_id = ?', query.account_id);
    if (query.category !== undefined) filter('category = ?', query.category);
    if (query.status !== undefined) filter('status = ?', query.status);
    if (query.since !== undefined) filter('created_at >= ?', isoTime(query.since));
    if (query.until !== undefined) filter('created_at < ?', isoTime(query.until));
    if (query.min_amount !== undefined) filter('amount_minor >= ?', query.min_amount);
    if (query.max_amount !== undefined) filter('amount_minor <= ?', query.max_amount);
    if (query.after !== undefined) {
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      params.push(query.after.created_at, query.after.created_at, query.after.id);
    }
    const rows = this.#db
      .prepare(
        `SELECT * FROM transactions WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
      )
      .all(...params, query.limit + 1) as Row[];
    return Promise.resolve({
      items: rows.slice(0, query.limit).map(fromRow),
      hasMore: rows.length > query.limit,
    });
  }

  #changeWhere(
    id: string,
    version: number,
    set: string,
    params: Record<string, unknown>,
    audit: AuditEntry,
  ): Transaction | undefined {
    const change = this.#db.transaction(() => {
      const row = this.#db
        .prepare(
          `UPDATE transactions SET ${set}, version = version + 1 WHERE id = @id AND version = @version RETURNING *`,
        )
        .get({ ...params, id, version }) as Row | undefined;
      if (row === undefined) return undefined;
      this.#append(audit);
      return fromRow(row);
    });
    return change.immediate();
  }

  update(
    id: string,
    version: number,
    changes: TransactionChanges,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined> {
    const sets = ['updated_at = @now'];
    const params: Record<string, unknown> = { now };
    if (changes.note !== undefined) {
      sets.push('note = @note');
      params.note = changes.note;
    }
    if (changes.category !== undefined) {
      sets.push('category = @category');
      params.category = changes.category;
    }
    return Promise.resolve(this.#changeWhere(id, version, sets.join(', '), params, audit));
  }

  setStatus(
    id: string,
    version: number,
    status: Status,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined> {
    return Promise.resolve(
      this.#changeWhere(id, version, 'status = @status, updated_at = @now', { status, now }, audit),
    );
  }

  delete(id: string, version: number, audit: AuditEntry): Promise<boolean> {
    const remove = this.#db.transaction(() => {
      const result = this.#db
        .prepare('DELETE FROM transactions WHERE id = ? AND version = ?')
        .run(id, version);
      if (result.changes !== 1) return false;
      this.#append(audit);
      return true;
    });
    return Promise.resolve(remove.immediate());
  }

  ping(): Promise<void> {
    this.#db.prepare('SELECT 1').get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }
}
