import type pg from 'pg';
import type { AccountStore } from '../account-store.js';
import type { AuditLog } from '../audit-log.js';
import type { IdempotencyStore } from '../idempotency-store.js';
import type { Store, StoreOptions } from '../store.js';
import type { TransactionStore } from '../transaction-store.js';
import { PostgresAccounts } from './accounts.js';
import { AuditedWrites } from './audited-writes.js';
import { PostgresAuditLog } from './audit-log.js';
import { PostgresIdempotency } from './idempotency.js';
import { migrate } from './migrations.js';
import { createPool } from './pool.js';
import { PostgresTransactions } from './transactions.js';

/** Whether a DATABASE_URL names this driver: `postgres://…` or `postgresql://…`. */
export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/**
 * Where a `postgres://` URL points, without its credentials: `host:port/database`, for messages;
 * the host of a URL without one is its `host` parameter (a socket directory) or localhost.
 */
export function postgresTarget(url: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname === '' ? (parsed.searchParams.get('host') ?? 'localhost') : parsed.hostname;
  return `${host}:${parsed.port === '' ? '5432' : parsed.port}${parsed.pathname}`;
}

/**
 * The database of a DATABASE_URL could not be opened (or migrated). The message names where
 * (host, port, database) and what went wrong, never the URL's user or password, and the error
 * carries no cause: the driver's errors may hold the URL (a TypeError's `input`), and loggers
 * serialize causes.
 */
export class PostgresOpenError extends Error {
  override readonly name = 'PostgresOpenError';
  /** The driver's or the server's error code (ECONNREFUSED, 3D000, 28P01, ...), when it gave one. */
  readonly code: string | undefined;

  constructor(message: string, code?: string) {
    super(message);
    this.code = code;
  }
}

/**
 * The store of several replicas: one PostgreSQL database, migrated when opened, reached through a
 * connection pool. Fixed statements are prepared once per connection; the writes share one
 * transaction boundary, and the audit chain keeps one order across every replica on the database.
 */
export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #transactions: PostgresTransactions;
  readonly #accounts: PostgresAccounts;
  readonly #audit: PostgresAuditLog;
  readonly #idempotency: PostgresIdempotency;
  #closed: Promise<void> | undefined;

  private constructor(pool: pg.Pool, options: StoreOptions) {
    this.#pool = pool;
    this.#audit = new PostgresAuditLog(pool, options.seal, options);
    this.#idempotency = new PostgresIdempotency(pool, options.now ?? Date.now);
    const writes = new AuditedWrites(pool, this.#audit, this.#idempotency);
    this.#accounts = new PostgresAccounts(pool, writes);
    this.#transactions = new PostgresTransactions(pool, writes, this.#accounts);
  }

  /**
   * Connects to the database a `postgres://` DATABASE_URL names and migrates it; fails with a
   * PostgresOpenError (no credentials in it) when the URL is malformed or the database cannot be
   * reached, logged into or migrated. `migrate: false` (audit:verify) only connects: a reader
   * with SELECT on the trail and nothing more can open it, and nothing is written.
   */
  static async fromUrl(
    url: string,
    options: StoreOptions,
    { migrate: migrating = true }: { readonly migrate?: boolean } = {},
  ): Promise<PostgresStore> {
    if (!isPostgresUrl(url) || !URL.canParse(url))
      throw new PostgresOpenError('a PostgreSQL DATABASE_URL is a valid postgres:// or postgresql:// URL');
    const where = postgresTarget(url);
    const pool = createPool(url);
    try {
      if (migrating) await migrate(pool, options.now ?? Date.now);
      else await pool.query('SELECT 1');
      return new PostgresStore(pool, options);
    } catch (error) {
      await pool.end().catch(() => undefined);
      const { message, code } = error as { message?: unknown; code?: unknown };
      throw new PostgresOpenError(
        `cannot open the PostgreSQL database at ${where}: ${typeof message === 'string' ? message : String(error)}`,
        typeof code === 'string' ? code : undefined,
      );
    }
  }

  create(...args: Parameters<TransactionStore['create']>): ReturnType<TransactionStore['create']> {
    return this.#transactions.create(...args);
  }

  get(...args: Parameters<TransactionStore['get']>): ReturnType<TransactionStore['get']> {
    return this.#transactions.get(...args);
  }

  getWithAccount(
    ...args: Parameters<PostgresTransactions['getWithAccount']>
  ): ReturnType<PostgresTransactions['getWithAccount']> {
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

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  /** Ends the pool once (waiting for checked-out connections); later calls wait for the same end. */
  close(): Promise<void> {
    this.#closed ??= this.#pool.end();
    return this.#closed;
  }
}
