import type pg from 'pg';
import type { AccountStatus } from '../../accounts/model.js';
import type { AuditEntry } from '../../audit/record.js';
import type { ListFilterClause } from '../../authz/decision.js';
import type { Status, Transaction, TransactionChanges } from '../../transactions/model.js';
import type { IdempotencyKey, StoredResponse } from '../idempotency-store.js';
import { POSTGRES_DIALECT, SqlParams } from '../sql/dialect.js';
import { pageOf, transactionListSql } from '../sql/list-queries.js';
import { fromTransactionRow, toTransactionRow, type TransactionRow } from '../sql/rows.js';
import type {
  CreateOutcome,
  ListQuery,
  Page,
  TransactionStore,
  TransactionWithAccount,
} from '../transaction-store.js';
import type { PostgresAccounts } from './accounts.js';
import type { AuditedWrites } from './audited-writes.js';
import { dynamicRows, rows, statement, type Statement } from './pool.js';

/** The columns of a transaction row, in the order of the insert's placeholders. */
const COLUMNS = [
  'id',
  'owner',
  'account_id',
  'amount_minor',
  'currency',
  'category',
  'counterparty_name',
  'counterparty_account',
  'note',
  'status',
  'department',
  'created_at',
  'updated_at',
  'version',
] as const satisfies readonly (keyof TransactionRow)[];

/** A transaction row with its account's columns (`a_…`), null when the account row is missing. */
interface JoinedRow extends TransactionRow {
  a_id: string | null;
  a_owner: string;
  a_department: string;
  a_currency: string;
  a_status: string;
  a_created_at: string;
  a_version: number;
}

const GET = statement('transaction_get', 'SELECT * FROM transactions WHERE id = $1');
const GET_WITH_ACCOUNT = statement(
  'transaction_get_with_account',
  `SELECT t.*, a.id AS a_id, a.owner AS a_owner, a.department AS a_department, a.currency AS a_currency,
     a.status AS a_status, a.created_at AS a_created_at, a.version AS a_version
   FROM transactions t LEFT JOIN accounts a ON a.id = t.account_id WHERE t.id = $1`,
);
const INSERT = statement(
  'transaction_insert',
  `INSERT INTO transactions (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`,
);
/** One update for every change: a note left alone is flagged ($4), a category left alone is null. */
const UPDATE = statement(
  'transaction_update',
  `UPDATE transactions SET
     note = CASE WHEN $4::boolean THEN $5::text ELSE note END,
     category = COALESCE($6::text, category),
     updated_at = $3,
     version = version + 1
   WHERE id = $1 AND version = $2 RETURNING *`,
);
const SET_STATUS = statement(
  'transaction_set_status',
  `UPDATE transactions SET status = $3, updated_at = $4, version = version + 1
   WHERE id = $1 AND version = $2 RETURNING *`,
);
const DELETE = statement('transaction_delete', 'DELETE FROM transactions WHERE id = $1 AND version = $2');

/** The transactions table. */
export class PostgresTransactions implements TransactionStore {
  readonly #pool: pg.Pool;
  readonly #writes: AuditedWrites;
  readonly #accounts: Pick<PostgresAccounts, 'isOpen'>;

  constructor(pool: pg.Pool, writes: AuditedWrites, accounts: Pick<PostgresAccounts, 'isOpen'>) {
    this.#pool = pool;
    this.#writes = writes;
    this.#accounts = accounts;
  }

  create(
    transaction: Transaction,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (transaction: Transaction) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome> {
    return this.#writes.create(audit, idempotency, respond, transaction.created_at, async (db) => {
      // The decision saw an open account; it must still be open when the row goes in, and stays so
      // (FOR SHARE) until this write commits.
      if (!(await this.#accounts.isOpen(db, transaction.account_id))) return undefined;
      const row = toTransactionRow(transaction);
      await rows(
        db,
        INSERT,
        COLUMNS.map((column) => row[column]),
      );
      return transaction;
    });
  }

  async get(id: string): Promise<Transaction | undefined> {
    const [row] = await rows<TransactionRow>(this.#pool, GET, [id]);
    return row === undefined ? undefined : fromTransactionRow(row);
  }

  async getWithAccount(id: string): Promise<TransactionWithAccount | undefined> {
    const [row] = await rows<JoinedRow>(this.#pool, GET_WITH_ACCOUNT, [id]);
    if (row === undefined) return undefined;
    const account =
      row.a_id === null
        ? undefined
        : {
            id: row.a_id,
            owner: row.a_owner,
            department: row.a_department,
            currency: row.a_currency,
            status: row.a_status as AccountStatus,
            created_at: row.a_created_at,
            version: row.a_version,
          };
    return { transaction: fromTransactionRow(row), account };
  }

  async list(query: ListQuery, anyOf: readonly ListFilterClause[]): Promise<Page> {
    const params = new SqlParams(POSTGRES_DIALECT);
    const sql = transactionListSql(query, anyOf, params);
    const found = await dynamicRows<TransactionRow>(this.#pool, sql, params.values);
    return pageOf(found, query.limit, fromTransactionRow);
  }

  update(
    id: string,
    version: number,
    changes: TransactionChanges,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined> {
    const values = [
      id,
      version,
      now,
      changes.note !== undefined,
      changes.note ?? null,
      changes.category ?? null,
    ];
    return this.#changed(audit, UPDATE, values);
  }

  setStatus(
    id: string,
    version: number,
    status: Status,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined> {
    return this.#changed(audit, SET_STATUS, [id, version, status, now]);
  }

  async delete(id: string, version: number, audit: AuditEntry): Promise<boolean> {
    const deleted = await this.#writes.change(audit, async (db) => {
      const result = await db.query({ name: DELETE.name, text: DELETE.text, values: [id, version] });
      return result.rowCount === 1 ? true : undefined;
    });
    return deleted ?? false;
  }

  /** Runs a conditional update with its audit record; `undefined` when the version was stale. */
  #changed(
    audit: AuditEntry,
    update: Statement,
    values: readonly unknown[],
  ): Promise<Transaction | undefined> {
    return this.#writes.change(audit, async (db) => {
      const [row] = await rows<TransactionRow>(db, update, values);
      return row === undefined ? undefined : fromTransactionRow(row);
    });
  }
}
