import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../audit/record.js';
import type { IdempotencyKey, StoredResponse } from '../idempotency-store.js';
import type { CreateOutcome } from '../transaction-store.js';
import type { SqliteAuditLog } from './audit-log.js';
import type { SqliteIdempotency } from './idempotency.js';

/** Makes the stored first response of a create. */
type Respond<T> = (created: T) => Omit<StoredResponse, 'fingerprint'>;

/**
 * The transaction boundary of every write: the change, the idempotent response stored with it and
 * its audit record commit in ONE database transaction (BEGIN IMMEDIATE) or not at all. BEGIN
 * IMMEDIATE takes the database's write lock first, so writes run one at a time: the checks inside
 * them (the version read, the account still open) and the chain's order hold without more locking.
 */
export class AuditedWrites {
  readonly #audit: SqliteAuditLog;
  readonly #change: Database.Transaction<(audit: AuditEntry, change: () => unknown) => unknown>;
  readonly #create: Database.Transaction<
    (
      audit: AuditEntry,
      key: IdempotencyKey | undefined,
      respond: Respond<unknown> | undefined,
      createdAt: string,
      insert: () => unknown,
    ) => CreateOutcome<unknown>
  >;

  constructor(db: Database.Database, audit: SqliteAuditLog, idempotency: SqliteIdempotency) {
    this.#audit = audit;
    this.#change = db.transaction((entry: AuditEntry, change: () => unknown) => {
      const changed = change();
      if (changed !== undefined) audit.append(entry);
      return changed;
    });
    this.#create = db.transaction(
      (
        entry: AuditEntry,
        key: IdempotencyKey | undefined,
        respond: Respond<unknown> | undefined,
        createdAt: string,
        insert: () => unknown,
      ): CreateOutcome<unknown> => {
        if (key !== undefined) {
          const stored = idempotency.replay(key);
          if (stored !== undefined) return { kind: 'replay', response: stored };
        }
        const created = insert();
        if (created === undefined) return { kind: 'account_not_open' };
        if (key !== undefined && respond !== undefined)
          idempotency.remember(key, respond(created), createdAt);
        audit.append(entry);
        return { kind: 'created', created };
      },
    );
  }

  /** Runs `change`; when it changed something (not `undefined`) its audit record goes in with it. */
  change<T>(audit: AuditEntry, change: () => T | undefined): T | undefined {
    const changed = this.#change.immediate(audit, change) as T | undefined;
    if (changed !== undefined) this.#audit.committed();
    return changed;
  }

  /**
   * Runs `insert` with its audit record, unless the key already holds a response (a replay); stores
   * the response under the key when there is one. `insert` gives `undefined` to refuse the row.
   */
  create<T>(
    audit: AuditEntry,
    key: IdempotencyKey | undefined,
    respond: Respond<T> | undefined,
    createdAt: string,
    insert: () => T | undefined,
  ): CreateOutcome<T> {
    const outcome = this.#create.immediate(
      audit,
      key,
      respond as Respond<unknown> | undefined,
      createdAt,
      insert,
    ) as CreateOutcome<T>;
    if (outcome.kind === 'created') this.#audit.committed();
    return outcome;
  }
}
