import type { AccountStore } from './account-store.js';
import type { AuditHooks, AuditLog, AuditSealer } from './audit-log.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { TransactionStore } from './transaction-store.js';

/**
 * The whole store, one driver behind it. Its writes are the transaction boundary: a change, the
 * idempotent response stored with it and its audit record commit in ONE database transaction or
 * not at all, and a transaction goes in only while its account is still open.
 */
export interface Store extends TransactionStore, AccountStore, AuditLog, IdempotencyStore {
  /** Throws when the store cannot answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What every driver is opened with. */
export interface StoreOptions extends AuditHooks {
  /** Seals each audit record into the chain. */
  readonly seal: AuditSealer;
  /** The clock of migrations and idempotency expiry (ms); tests freeze it. */
  readonly now?: () => number;
}
