import type pg from 'pg';
import type { Account, AccountStatus } from '../../accounts/model.js';
import type { AuditEntry } from '../../audit/record.js';
import type { ListFilterClause } from '../../authz/decision.js';
import type { AccountListQuery, AccountStore } from '../account-store.js';
import type { IdempotencyKey, StoredResponse } from '../idempotency-store.js';
import { POSTGRES_DIALECT, SqlParams } from '../sql/dialect.js';
import { accountListSql, pageOf } from '../sql/list-queries.js';
import { fromAccountRow, type AccountRow } from '../sql/rows.js';
import type { CreateOutcome, Page } from '../transaction-store.js';
import type { AuditedWrites } from './audited-writes.js';
import { dynamicRows, rows, statement, type Db } from './pool.js';

const GET = statement('account_get', 'SELECT * FROM accounts WHERE id = $1');
const GET_MANY = statement('account_get_many', 'SELECT * FROM accounts WHERE id = ANY ($1::text[])');
/** FOR SHARE: a concurrent freeze waits for the write that read the account open, or it for the freeze. */
const STATUS = statement('account_status', 'SELECT status FROM accounts WHERE id = $1 FOR SHARE');
const INSERT = statement(
  'account_insert',
  `INSERT INTO accounts (id, owner, department, currency, status, created_at, version)
   VALUES ($1, $2, $3, $4, $5, $6, $7)`,
);
const SET_STATUS = statement(
  'account_set_status',
  'UPDATE accounts SET status = $1, version = version + 1 WHERE id = $2 AND version = $3 RETURNING *',
);

/** The accounts table. */
export class PostgresAccounts implements AccountStore {
  readonly #pool: pg.Pool;
  readonly #writes: AuditedWrites;

  constructor(pool: pg.Pool, writes: AuditedWrites) {
    this.#pool = pool;
    this.#writes = writes;
  }

  /** Inside a write: whether the account exists and is open, kept so until the write commits. */
  async isOpen(db: Db, id: string): Promise<boolean> {
    const [row] = await rows<{ status: string }>(db, STATUS, [id]);
    return row?.status === 'open';
  }

  openAccount(
    account: Account,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (account: Account) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome<Account>> {
    return this.#writes.create(audit, idempotency, respond, account.created_at, async (db) => {
      const { id, owner, department, currency, status, created_at, version } = account;
      await rows(db, INSERT, [id, owner, department, currency, status, created_at, version]);
      return account;
    });
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const [row] = await rows<AccountRow>(this.#pool, GET, [id]);
    return row === undefined ? undefined : fromAccountRow(row);
  }

  async getAccounts(ids: readonly string[]): Promise<ReadonlyMap<string, Account>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const found = await rows<AccountRow>(this.#pool, GET_MANY, [unique]);
    return new Map(found.map((row) => [row.id, fromAccountRow(row)]));
  }

  async listAccounts(query: AccountListQuery, anyOf: readonly ListFilterClause[]): Promise<Page<Account>> {
    const params = new SqlParams(POSTGRES_DIALECT);
    const sql = accountListSql(query, anyOf, params);
    return pageOf(await dynamicRows<AccountRow>(this.#pool, sql, params.values), query.limit, fromAccountRow);
  }

  setAccountStatus(
    id: string,
    version: number,
    status: AccountStatus,
    audit: AuditEntry,
  ): Promise<Account | undefined> {
    return this.#writes.change(audit, async (db) => {
      const [row] = await rows<AccountRow>(db, SET_STATUS, [status, id, version]);
      return row === undefined ? undefined : fromAccountRow(row);
    });
  }
}
