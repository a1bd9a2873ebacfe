import type { ListFilterClause } from '../authz/decision.js';
import type { Category, Status, Transaction, TransactionChanges } from './model.js';

/** The filters and page a client asks for. */
export interface ListQuery {
  readonly limit: number;
  readonly after?: { readonly created_at: string; readonly id: string };
  readonly category?: Category;
  readonly status?: Status;
  readonly since?: string;
  readonly until?: string;
  readonly min_amount?: number;
  readonly max_amount?: number;
}

/** A page of transactions; `hasMore` when another page follows. */
export interface Page {
  readonly items: readonly Transaction[];
  readonly hasMore: boolean;
}

/** A stored first response to an idempotent request. */
export interface StoredResponse {
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
  readonly location: string;
}

/** An idempotency key, scoped to the caller who sent it. */
export interface IdempotencyKey {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
}

/** The outcome of a create: the new transaction, or the response stored under the same key. */
export type CreateOutcome =
  | { readonly kind: 'created'; readonly transaction: Transaction }
  | { readonly kind: 'replay'; readonly response: StoredResponse };

/**
 * Where transactions live. Changes are conditional on the version read, so concurrent writers
 * cannot overwrite each other: a stale version gives `undefined` / `false`.
 */
export interface TransactionStore {
  create(
    transaction: Transaction,
    idempotency?: IdempotencyKey,
    respond?: (transaction: Transaction) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome>;
  get(id: string): Promise<Transaction | undefined>;
  list(query: ListQuery, anyOf: readonly ListFilterClause[]): Promise<Page>;
  update(
    id: string,
    version: number,
    changes: TransactionChanges,
    now: string,
  ): Promise<Transaction | undefined>;
  setStatus(id: string, version: number, status: Status, now: string): Promise<Transaction | undefined>;
  delete(id: string, version: number): Promise<boolean>;
  /** The idempotent response stored under a key, if any. */
  findIdempotent(scope: string, key: string): Promise<StoredResponse | undefined>;
  /** Throws when the store cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
