import type pg from 'pg';
import type { AuditEntry } from '../../audit/record.js';
import type { IdempotencyKey, StoredResponse } from '../idempotency-store.js';
import type { CreateOutcome } from '../transaction-store.js';
import type { PostgresAuditLog } from './audit-log.js';
import type { PostgresIdempotency } from './idempotency.js';
import { inTransaction } from './transaction.js';

/** Makes the stored first response of a create. */
type Respond<T> = (created: T) => Omit<StoredResponse, 'fingerprint'>;

/**
 * The transaction boundary of every write: the change, the idempotent response stored with it and
 * its audit record commit in ONE database transaction or not at all. The change's own checks take
 * row locks (a conditional UPDATE locks its row, an account is read FOR SHARE), the audit append
 * takes the chain head last, so two writes never wait for each other in a cycle.
 */
export class AuditedWrites {
  readonly #pool: pg.Pool;
  readonly #audit: PostgresAuditLog;
  readonly #idempotency: PostgresIdempotency;

  constructor(pool: pg.Pool, audit: PostgresAuditLog, idempotency: PostgresIdempotency) {
    this.#pool = pool;
    this.#audit = audit;
    this.#idempotency = idempotency;
  }

  /** Runs `change`; when it changed something (not `undefined`) its audit record goes in with it. */
  async change<T>(
    audit: AuditEntry,
    change: (db: pg.PoolClient) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const changed = await inTransaction(this.#pool, async (db) => {
      const result = await change(db);
      if (result !== undefined) await this.#audit.append(db, audit);
      return result;
    });
    if (changed !== undefined) this.#audit.committed();
    return changed;
  }

  /**
   * Runs `insert` with its audit record, unless the key already holds a response (a replay); stores
   * the response under the key when there is one. `insert` gives `undefined` to refuse the row.
   */
  async create<T>(
    audit: AuditEntry,
    key: IdempotencyKey | undefined,
    respond: Respond<T> | undefined,
    createdAt: string,
    insert: (db: pg.PoolClient) => Promise<T | undefined>,
  ): Promise<CreateOutcome<T>> {
    const outcome = await inTransaction(this.#pool, async (db): Promise<CreateOutcome<T>> => {
      if (key !== undefined) {
        const stored = await this.#idempotency.replay(db, key);
        if (stored !== undefined) return { kind: 'replay', response: stored };
      }
      const created = await insert(db);
      if (created === undefined) return { kind: 'account_not_open' };
      if (key !== undefined && respond !== undefined)
        await this.#idempotency.remember(db, key, respond(created), createdAt);
      await this.#audit.append(db, audit);
      return { kind: 'created', created };
    });
    if (outcome.kind === 'created') this.#audit.committed();
    return outcome;
  }
}
