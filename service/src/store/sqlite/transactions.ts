import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../audit/record.js';
import type { ListFilterClause } from '../../authz/decision.js';
import type { AccountStatus } from '../../accounts/model.js';
import type { Category, Status, Transaction, TransactionChanges } from '../../transactions/model.js';
import type { IdempotencyKey, StoredResponse } from '../idempotency-store.js';
import type {
  CreateOutcome,
  ListQuery,
  Page,
  TransactionStore,
  TransactionWithAccount,
} from '../transaction-store.js';
import type { SqliteAccounts } from './accounts.js';
import type { AuditedWrites } from './audited-writes.js';
import { SQLITE_DIALECT, SqlParams } from '../sql/dialect.js';
import { pageOf, transactionListSql } from '../sql/list-queries.js';
import { fromTransactionRow, toTransactionRow, type TransactionRow as Row } from '../sql/rows.js';
import { StatementCache } from './statement-cache.js';

/** A transaction row with its account's columns (`a_…`), null when the account row is missing. */
interface JoinedRow extends Row {
  a_id: string | null;
  a_owner: string;
  a_department: string;
  a_currency: string;
  a_status: string;
  a_created_at: string;
  a_version: number;
}

/** The `:id` loader's read in one statement: each statement is a read transaction of its own. */
const GET_WITH_ACCOUNT = `SELECT t.*, a.id AS a_id, a.owner AS a_owner, a.department AS a_department,
    a.currency AS a_currency, a.status AS a_status, a.created_at AS a_created_at, a.version AS a_version
  FROM transactions t LEFT JOIN accounts a ON a.id = t.account_id WHERE t.id = ?`;

/** The parameters of the one update statement: a column left alone is flagged or null. */
interface UpdateParams {
  id: string;
  version: number;
  now: string;
  set_note: 0 | 1;
  note: string | null;
  category: Category | null;
}

/** The transactions table. */
export class SqliteTransactions implements TransactionStore {
  readonly #writes: AuditedWrites;
  readonly #accounts: Pick<SqliteAccounts, 'isOpen'>;
  readonly #get: Database.Statement<[string], Row>;
  readonly #getWithAccount: Database.Statement<[string], JoinedRow>;
  readonly #insert: Database.Statement<[Row]>;
  readonly #update: Database.Statement<[UpdateParams], Row>;
  readonly #setStatus: Database.Statement<
    [{ id: string; version: number; status: Status; now: string }],
    Row
  >;
  readonly #delete: Database.Statement<[string, number]>;
  readonly #lists: StatementCache;

  constructor(db: Database.Database, writes: AuditedWrites, accounts: Pick<SqliteAccounts, 'isOpen'>) {
    this.#writes = writes;
    this.#accounts = accounts;
    this.#get = db.prepare('SELECT * FROM transactions WHERE id = ?');
    this.#getWithAccount = db.prepare(GET_WITH_ACCOUNT);
    this.#insert = db.prepare(
      `INSERT INTO transactions (id, owner, account_id, amount_minor, currency, category, counterparty_name,
         counterparty_account, note, status, department, created_at, updated_at, version)
       VALUES (@id, @owner, @account_id, @amount_minor, @currency, @category, @counterparty_name,
         @counterparty_account, @note, @status, @department, @created_at, @updated_at, @version)`,
    );
    this.#update = db.prepare(
      `UPDATE transactions SET
         note = CASE WHEN @set_note THEN @note ELSE note END,
         category = COALESCE(@category, category),
         updated_at = @now,
         version = version + 1
       WHERE id = @id AND version = @version RETURNING *`,
    );
    this.#setStatus = db.prepare(
      `UPDATE transactions SET status = @status, updated_at = @now, version = version + 1
       WHERE id = @id AND version = @version RETURNING *`,
    );
    this.#delete = db.prepare('DELETE FROM transactions WHERE id = ? AND version = ?');
    this.#lists = new StatementCache(db);
  }

  create(
    transaction: Transaction,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (transaction: Transaction) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome> {
    return Promise.resolve(
      this.#writes.create(audit, idempotency, respond, transaction.created_at, () => {
        // The decision saw an open account; it must still be open when the row goes in.
        if (!this.#accounts.isOpen(transaction.account_id)) return undefined;
        this.#insert.run(toTransactionRow(transaction));
        return transaction;
      }),
    );
  }

  get(id: string): Promise<Transaction | undefined> {
    const row = this.#get.get(id);
    return Promise.resolve(row === undefined ? undefined : fromTransactionRow(row));
  }

  getWithAccount(id: string): Promise<TransactionWithAccount | undefined> {
    const row = this.#getWithAccount.get(id);
    if (row === undefined) return Promise.resolve(undefined);
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
    return Promise.resolve({ transaction: fromTransactionRow(row), account });
  }

  list(query: ListQuery, anyOf: readonly ListFilterClause[]): Promise<Page> {
    const params = new SqlParams(SQLITE_DIALECT);
    const sql = transactionListSql(query, anyOf, params);
    const rows = this.#lists.get(sql).all(...params.values) as Row[];
    return Promise.resolve(pageOf(rows, query.limit, fromTransactionRow));
  }

  update(
    id: string,
    version: number,
    changes: TransactionChanges,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined> {
    const params: UpdateParams = {
      id,
      version,
      now,
      set_note: changes.note === undefined ? 0 : 1,
      note: changes.note ?? null,
      category: changes.category ?? null,
    };
    return Promise.resolve(this.#changed(audit, () => this.#update.get(params)));
  }

  setStatus(
    id: string,
    version: number,
    status: Status,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined> {
    return Promise.resolve(this.#changed(audit, () => this.#setStatus.get({ id, version, status, now })));
  }

  delete(id: string, version: number, audit: AuditEntry): Promise<boolean> {
    const deleted = this.#writes.change(audit, () =>
      this.#delete.run(id, version).changes === 1 ? true : undefined,
    );
    return Promise.resolve(deleted ?? false);
  }

  /** Runs a conditional update with its audit record; `undefined` when the version was stale. */
  #changed(audit: AuditEntry, update: () => Row | undefined): Transaction | undefined {
    return this.#writes.change(audit, () => {
      const row = update();
      return row === undefined ? undefined : fromTransactionRow(row);
    });
  }
}
