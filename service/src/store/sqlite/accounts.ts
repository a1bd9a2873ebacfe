import type Database from 'better-sqlite3';
import type { Account, AccountStatus } from '../../accounts/model.js';
import type { AuditEntry } from '../../audit/record.js';
import type { ListFilterClause } from '../../authz/decision.js';
import type { AccountListQuery, AccountStore } from '../account-store.js';
import type { IdempotencyKey, StoredResponse } from '../idempotency-store.js';
import type { CreateOutcome, Page } from '../transaction-store.js';
import type { AuditedWrites } from './audited-writes.js';
import { SQLITE_DIALECT, SqlParams } from '../sql/dialect.js';
import { accountListSql, pageOf } from '../sql/list-queries.js';
import { fromAccountRow, type AccountRow } from '../sql/rows.js';
import { StatementCache } from './statement-cache.js';

/** The accounts table. */
export class SqliteAccounts implements AccountStore {
  readonly #writes: AuditedWrites;
  readonly #get: Database.Statement<[string], AccountRow>;
  readonly #getMany: Database.Statement<[string], AccountRow>;
  readonly #status: Database.Statement<[string], { status: string }>;
  readonly #insert: Database.Statement<[Account]>;
  readonly #setStatus: Database.Statement<[AccountStatus, string, number], AccountRow>;
  readonly #lists: StatementCache;

  constructor(db: Database.Database, writes: AuditedWrites) {
    this.#writes = writes;
    this.#get = db.prepare('SELECT * FROM accounts WHERE id = ?');
    this.#getMany = db.prepare('SELECT * FROM accounts WHERE id IN (SELECT value FROM json_each(?))');
    this.#status = db.prepare('SELECT status FROM accounts WHERE id = ?');
    this.#insert = db.prepare(
      `INSERT INTO accounts (id, owner, department, currency, status, created_at, version)
       VALUES (@id, @owner, @department, @currency, @status, @created_at, @version)`,
    );
    this.#setStatus = db.prepare(
      'UPDATE accounts SET status = ?, version = version + 1 WHERE id = ? AND version = ? RETURNING *',
    );
    this.#lists = new StatementCache(db);
  }

  /** Whether the account exists and is open now; inside a write, as of that write. */
  isOpen(id: string): boolean {
    return this.#status.get(id)?.status === 'open';
  }

  openAccount(
    account: Account,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (account: Account) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome<Account>> {
    return Promise.resolve(
      this.#writes.create(audit, idempotency, respond, account.created_at, () => {
        this.#insert.run(account);
        return account;
      }),
    );
  }

  getAccount(id: string): Promise<Account | undefined> {
    const row = this.#get.get(id);
    return Promise.resolve(row === undefined ? undefined : fromAccountRow(row));
  }

  getAccounts(ids: readonly string[]): Promise<ReadonlyMap<string, Account>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return Promise.resolve(new Map());
    const rows = this.#getMany.all(JSON.stringify(unique));
    return Promise.resolve(new Map(rows.map((row) => [row.id, fromAccountRow(row)])));
  }

  listAccounts(query: AccountListQuery, anyOf: readonly ListFilterClause[]): Promise<Page<Account>> {
    const params = new SqlParams(SQLITE_DIALECT);
    const sql = accountListSql(query, anyOf, params);
    const rows = this.#lists.get(sql).all(...params.values) as AccountRow[];
    return Promise.resolve(pageOf(rows, query.limit, fromAccountRow));
  }

  setAccountStatus(
    id: string,
    version: number,
    status: AccountStatus,
    audit: AuditEntry,
  ): Promise<Account | undefined> {
    return Promise.resolve(
      this.#writes.change(audit, () => {
        const row = this.#setStatus.get(status, id, version);
        return row === undefined ? undefined : fromAccountRow(row);
      }),
    );
  }
}
