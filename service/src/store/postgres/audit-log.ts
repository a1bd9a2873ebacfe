import type pg from 'pg';
import { AUDIT_RECORD_FIELDS, type AuditEntry, type AuditRecord } from '../../audit/record.js';
import type { AuditHead, AuditHooks, AuditLog, AuditQuery, AuditSealer } from '../audit-log.js';
import { trailInPages } from '../sql/audit-trail.js';
import { POSTGRES_DIALECT, SqlParams } from '../sql/dialect.js';
import { auditListSql } from '../sql/list-queries.js';
import { fromAuditRow, toAuditRow, type AuditRow } from '../sql/rows.js';
import { dynamicRows, rows, statement } from './pool.js';
import { inTransaction } from './transaction.js';

/** The columns of an audit record, in the order of the insert's placeholders. */
const COLUMNS = AUDIT_RECORD_FIELDS satisfies readonly (keyof AuditRow)[];

/**
 * The chain's order across replicas: the one row of audit_chain_head, locked FOR UPDATE by the
 * transaction that appends, as the last lock it takes, and held until it commits. A second
 * appender waits for the row, and READ COMMITTED then hands it the row as the first one committed
 * it, so it seals after that record: one total order, whatever replica writes. A row lock rather
 * than pg_advisory_xact_lock: the lock is part of the schema (no key space shared with other
 * programs on the database), it shows in pg_locks as an ordinary row lock, it works through a
 * transaction-mode pooler, and the locked row itself carries the head, so reading it under the lock
 * cannot see an older snapshot (after an advisory lock, a head read from audit_log would be right
 * only because READ COMMITTED takes a new snapshot per statement).
 */
const LOCK_HEAD = statement('audit_lock_head', 'SELECT seq, mac FROM audit_chain_head FOR UPDATE');

/** Inserts the record and moves the head to it, in one statement. */
const APPEND = statement(
  'audit_append',
  `WITH appended AS (
     INSERT INTO audit_log (${COLUMNS.join(', ')})
     VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})
     RETURNING seq, mac, time)
   UPDATE audit_chain_head SET seq = appended.seq, mac = appended.mac, time = appended.time FROM appended`,
);

/** The committed head; no row while the chain is empty. */
const HEAD = statement('audit_head', 'SELECT seq, mac, time FROM audit_chain_head WHERE seq > 0');
const TRAIL_FIRST = statement('audit_trail_first', 'SELECT * FROM audit_log ORDER BY seq LIMIT $1');
const TRAIL_AFTER = statement(
  'audit_trail_after',
  'SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2',
);

/** The audit_log table: the HMAC chain in seq order, its head in audit_chain_head. */
export class PostgresAuditLog implements AuditLog {
  readonly #pool: pg.Pool;
  readonly #seal: AuditSealer;
  readonly #hooks: AuditHooks;

  constructor(pool: pg.Pool, seal: AuditSealer, hooks: AuditHooks) {
    this.#pool = pool;
    this.#seal = seal;
    this.#hooks = hooks;
  }

  /**
   * Seals and appends one record after the chain's head, inside the write transaction on `db`
   * (the change it records is in the same one). Call `committed` after the commit.
   */
  async append(db: pg.PoolClient, entry: AuditEntry): Promise<AuditRecord> {
    try {
      const [head] = await rows<{ seq: number; mac: string | null }>(db, LOCK_HEAD, []);
      if (head === undefined) throw new Error('audit_chain_head has no row: the schema is damaged');
      const record = this.#seal(entry, head.mac === null ? undefined : { seq: head.seq, mac: head.mac });
      const row = toAuditRow(record);
      await rows(
        db,
        APPEND,
        COLUMNS.map((column) => row[column]),
      );
      return record;
    } catch (error) {
      this.#hooks.onAuditFailure?.();
      throw error;
    }
  }

  /** The transaction of an `append` has committed: tells the hook. */
  committed(): void {
    this.#hooks.onAuditAppended?.(this);
  }

  async appendAudit(audit: AuditEntry): Promise<AuditRecord> {
    const record = await inTransaction(this.#pool, (db) => this.append(db, audit));
    this.committed();
    return record;
  }

  async listAudit(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const params = new SqlParams(POSTGRES_DIALECT);
    const sql = auditListSql(query, params);
    return (await dynamicRows<AuditRow>(this.#pool, sql, params.values)).map(fromAuditRow);
  }

  async auditHead(): Promise<AuditHead | undefined> {
    const [head] = await rows<AuditHead>(this.#pool, HEAD, []);
    return head;
  }

  auditTrail(): AsyncIterable<AuditRecord> {
    return trailInPages(async (afterSeq, limit) =>
      (afterSeq === undefined
        ? await rows<AuditRow>(this.#pool, TRAIL_FIRST, [limit])
        : await rows<AuditRow>(this.#pool, TRAIL_AFTER, [afterSeq, limit])
      ).map(fromAuditRow),
    );
  }
}
