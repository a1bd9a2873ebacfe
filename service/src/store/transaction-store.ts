import type { AuditEntry } from '../audit/record.js';
import type { ListFilterClause } from '../authz/decision.js';
import type { Account } from '../accounts/model.js';
import type { Category, Status, Transaction, TransactionChanges } from '../transactions/model.js';
import type { IdempotencyKey, StoredResponse } from './idempotency-store.js';

/** The filters and page a client asks for. */
export interface ListQuery {
  readonly limit: number;
  readonly after?: { readonly created_at: string; readonly id: string };
  readonly account_id?: string;
  readonly category?: Category;
  readonly status?: Status;
  readonly since?: string;
  readonly until?: string;
  readonly min_amount?: number;
  readonly max_amount?: number;
}

/** A page of rows; `hasMore` when another page follows. */
export interface Page<T = Transaction> {
  readonly items: readonly T[];
  readonly hasMore: boolean;
}

/**
 * The outcome of a create: the new row, the response stored under the same key, or (transactions)
 * an account that stopped being open after the decision.
 */
export type CreateOutcome<T = Transaction> =
  | { readonly kind: 'created'; readonly created: T }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'account_not_open' };

/** A transaction as read with its account. */
export interface TransactionWithAccount {
  readonly transaction: Transaction;
  readonly account: Account | undefined;
}

/**
 * Where transactions live. Changes are conditional on the version read, so concurrent writers
 * cannot overwrite each other: a stale version gives `undefined` / `false`. Every change writes its
 * audit entry in the same database transaction: no change without its record, no record without it.
 */
export interface TransactionStore {
  /**
   * Inserts the transaction with its audit record (and, given a key, the response `respond` makes)
   * in one database transaction, unless the key already holds a response (a replay) or the account
   * is no longer open when the row would go in.
   */
  create(
    transaction: Transaction,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (transaction: Transaction) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome>;
  get(id: string): Promise<Transaction | undefined>;
  /**
   * The transaction and its account in one read (the `:id` loader's); `account` is undefined only
   * if the account row is missing, which the policy then refuses.
   */
  getWithAccount(id: string): Promise<TransactionWithAccount | undefined>;
  /** A page, newest first, of the rows matching `query` and any of the list-filter clauses. */
  list(query: ListQuery, anyOf: readonly ListFilterClause[]): Promise<Page>;
  update(
    id: string,
    version: number,
    changes: TransactionChanges,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined>;
  setStatus(
    id: string,
    version: number,
    status: Status,
    now: string,
    audit: AuditEntry,
  ): Promise<Transaction | undefined>;
  delete(id: string, version: number, audit: AuditEntry): Promise<boolean>;
}
