import type { AuditEntry, AuditOutcome, AuditRecord } from '../audit/record.js';
import type { ListFilterClause } from '../authz/decision.js';
import type { Category, Status, Transaction, TransactionChanges } from './model.js';

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

/** A stored first response to an idempotent request. */
export interface StoredResponse {
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
  readonly location: string;
  /** The ETag of the created resource, sent again on a replay. */
  readonly etag: string;
}

/** An idempotency key, scoped to the caller who sent it. */
export interface IdempotencyKey {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * The outcome of a create: the new row, the response stored under the same key, or (transactions)
 * an account that stopped being open after the decision.
 */
export type CreateOutcome<T = Transaction> =
  | { readonly kind: 'created'; readonly created: T }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'account_not_open' };

/** Which audit records a reader wants, newest first. */
export interface AuditQuery {
  readonly limit: number;
  /** Records with a smaller sequence number than this (the cursor). */
  readonly beforeSeq?: number;
  readonly since?: string;
  readonly until?: string;
  readonly sub?: string;
  readonly resource_id?: string;
  readonly outcome?: AuditOutcome;
}

/**
 * Where transactions and their audit trail live. Changes are conditional on the version read, so
 * concurrent writers cannot overwrite each other: a stale version gives `undefined` / `false`.
 * Every change takes its audit entry and writes it in the same database transaction: no change
 * without its record, no record without its change.
 */
export interface TransactionStore {
  create(
    transaction: Transaction,
    audit: AuditEntry,
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
  /** Called whenever an audit record cannot be written (metrics); the app sets it. */
  onAuditFailure: (() => void) | undefined;
  /** Appends an audit record on its own (denials, challenges, errors). */
  appendAudit(audit: AuditEntry): Promise<AuditRecord>;
  /** Audit records, newest first. */
  listAudit(query: AuditQuery): Promise<readonly AuditRecord[]>;
  /** Every audit record in sequence order, for verification. */
  auditTrail(): Iterable<AuditRecord>;
  /** Called right after an audit record is inserted, inside its transaction (the checkpointer sets it). */
  onAuditAppended: (() => void) | undefined;
  /** The newest committed audit record's seq, MAC and time; undefined while the trail is empty. */
  auditHead(): { seq: number; mac: string; time: string } | undefined;
  /** The idempotent response stored under a key, if any. */
  findIdempotent(scope: string, key: string): Promise<StoredResponse | undefined>;
  /** Throws when the store cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
