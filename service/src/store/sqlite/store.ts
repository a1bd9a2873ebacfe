import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccountStore } from '../account-store.js';
import type { AuditLog } from '../audit-log.js';
import type { IdempotencyStore } from '../idempotency-store.js';
import type { Store, StoreOptions } from '../store.js';
import type { TransactionStore } from '../transaction-store.js';
import { SqliteAccounts } from './accounts.js';
import { AuditedWrites } from './audited-writes.js';
import { SqliteAuditLog } from './audit-log.js';
import { SqliteIdempotency } from './idempotency.js';
import { migrate } from './migrations.js';
import { SqliteTransactions } from './transactions.js';

/** The URL scheme of this driver: `sqlite:<path>`. */
export const SQLITE_URL_PREFIX = 'sqlite:';

/**
 * The default store: one SQLite file, created and migrated when opened. Each concern's statements
 * are prepared once, when it is opened; the writes share one transaction boundary.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #transactions: SqliteTransactions;
  readonly #accounts: SqliteAccounts;
  readonly #audit: SqliteAuditLog;
  readonly #idempotency: SqliteIdempotency;
  readonly #ping: Database.Statement;

  private constructor(db: Database.Database, options: StoreOptions) {
    const now = options.now ?? Date.now;
    this.#db = db;
    this.#audit = new SqliteAuditLog(db, options.seal, options);
    this.#idempotency = new SqliteIdempotency(db, now);
    const writes = new AuditedWrites(db, this.#audit, this.#idempotency);
    this.#accounts = new SqliteAccounts(db, writes);
    this.#transactions = new SqliteTransactions(db, writes, this.#accounts);
    this.#ping = db.prepare('SELECT 1');
  }

  /** Opens (creating if needed) and migrates the database at `path` (`:memory:` for a throwaway one). */
  static open(path: string, options: StoreOptions): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      migrate(db, options.now ?? Date.now);
      return new SqliteStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Opens the store a `sqlite:<path>` DATABASE_URL names. */
  static fromUrl(url: string, options: StoreOptions): SqliteStore {
    if (!url.startsWith(SQLITE_URL_PREFIX)) throw new Error('a SQLite DATABASE_URL starts with sqlite:');
    return SqliteStore.open(url.slice(SQLITE_URL_PREFIX.length), options);
  }

  create(...args: Parameters<TransactionStore['create']>): ReturnType<TransactionStore['create']> {
    return this.#transactions.create(...args);
  }

  get(...args: Parameters<TransactionStore['get']>): ReturnType<TransactionStore['get']> {
    return this.#transactions.get(...args);
  }

  getWithAccount(
    ...args: Parameters<TransactionStore['getWithAccount']>
  ): ReturnType<TransactionStore['getWithAccount']> {
    return this.#transactions.getWithAccount(...args);
  }

  list(...args: Parameters<TransactionStore['list']>): ReturnType<TransactionStore['list']> {
    return this.#transactions.list(...args);
  }

  update(...args: Parameters<TransactionStore['update']>): ReturnType<TransactionStore['update']> {
    return this.#transactions.update(...args);
  }

  setStatus(...args: Parameters<TransactionStore['setStatus']>): ReturnType<TransactionStore['setStatus']> {
    return this.#transactions.setStatus(...args);
  }

  delete(...args: Parameters<TransactionStore['delete']>): ReturnType<TransactionStore['delete']> {
    return this.#transactions.delete(...args);
  }

  openAccount(...args: Parameters<AccountStore['openAccount']>): ReturnType<AccountStore['openAccount']> {
    return this.#accounts.openAccount(...args);
  }

  getAccount(...args: Parameters<AccountStore['getAccount']>): ReturnType<AccountStore['getAccount']> {
    return this.#accounts.getAccount(...args);
  }

  getAccounts(...args: Parameters<AccountStore['getAccounts']>): ReturnType<AccountStore['getAccounts']> {
    return this.#accounts.getAccounts(...args);
  }

  listAccounts(...args: Parameters<AccountStore['listAccounts']>): ReturnType<AccountStore['listAccounts']> {
    return this.#accounts.listAccounts(...args);
  }

  setAccountStatus(
    ...args: Parameters<AccountStore['setAccountStatus']>
  ): ReturnType<AccountStore['setAccountStatus']> {
    return this.#accounts.setAccountStatus(...args);
  }

  appendAudit(...args: Parameters<AuditLog['appendAudit']>): ReturnType<AuditLog['appendAudit']> {
    return this.#audit.appendAudit(...args);
  }

  listAudit(...args: Parameters<AuditLog['listAudit']>): ReturnType<AuditLog['listAudit']> {
    return this.#audit.listAudit(...args);
  }

  auditTrail(): ReturnType<AuditLog['auditTrail']> {
    return this.#audit.auditTrail();
  }

  auditHead(): ReturnType<AuditLog['auditHead']> {
    return this.#audit.auditHead();
  }

  findIdempotent(
    ...args: Parameters<IdempotencyStore['findIdempotent']>
  ): ReturnType<IdempotencyStore['findIdempotent']> {
    return this.#idempotency.findIdempotent(...args);
  }

  ping(): Promise<void> {
    this.#ping.get();
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }
}
