import type Database from 'better-sqlite3';
import type { AuditEntry, AuditRecord } from '../../audit/record.js';
import type { AuditHead, AuditHooks, AuditLog, AuditQuery, AuditSealer } from '../audit-log.js';
import { trailInPages } from '../sql/audit-trail.js';
import { SQLITE_DIALECT, SqlParams } from '../sql/dialect.js';
import { auditListSql } from '../sql/list-queries.js';
import { fromAuditRow, toAuditRow, type AuditRow } from '../sql/rows.js';
import { StatementCache } from './statement-cache.js';

/** The audit_log table: the HMAC chain in seq order. */
export class SqliteAuditLog implements AuditLog {
  readonly #seal: AuditSealer;
  readonly #hooks: AuditHooks;
  readonly #head: Database.Statement<[], AuditHead>;
  readonly #insert: Database.Statement<[AuditRow]>;
  readonly #trailFirst: Database.Statement<[number], AuditRow>;
  readonly #trailAfter: Database.Statement<[number, number], AuditRow>;
  readonly #appendAlone: Database.Transaction<(entry: AuditEntry) => AuditRecord>;
  readonly #lists: StatementCache;

  constructor(db: Database.Database, seal: AuditSealer, hooks: AuditHooks) {
    this.#seal = seal;
    this.#hooks = hooks;
    this.#head = db.prepare('SELECT seq, mac, time FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare(
      `INSERT INTO audit_log (seq, id, time, request_id, decision_id, bundle_revision, action, resource_type,
         resource_id, sub, client_id, agent_id, agent_client_type, outcome, reasons, http_status, changed_fields,
         client_ip, prev_mac, mac)
       VALUES (@seq, @id, @time, @request_id, @decision_id, @bundle_revision, @action, @resource_type,
         @resource_id, @sub, @client_id, @agent_id, @agent_client_type, @outcome, @reasons, @http_status,
         @changed_fields, @client_ip, @prev_mac, @mac)`,
    );
    this.#trailFirst = db.prepare('SELECT * FROM audit_log ORDER BY seq LIMIT ?');
    this.#trailAfter = db.prepare('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#appendAlone = db.transaction((entry: AuditEntry) => this.append(entry));
    this.#lists = new StatementCache(db);
  }

  /**
   * Seals and appends one record after the chain's last; must run inside a write transaction,
   * which fixes the order (the change it records is in the same one). Call `committed` after it.
   */
  append(entry: AuditEntry): AuditRecord {
    const record = this.#seal(entry, this.#head.get());
    try {
      this.#insert.run(toAuditRow(record));
    } catch (error) {
      this.#hooks.onAuditFailure?.();
      throw error;
    }
    return record;
  }

  /** The transaction of an `append` has committed: tells the hook. */
  committed(): void {
    this.#hooks.onAuditAppended?.(this);
  }

  appendAudit(audit: AuditEntry): Promise<AuditRecord> {
    const record = this.#appendAlone.immediate(audit);
    this.committed();
    return Promise.resolve(record);
  }

  listAudit(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const params = new SqlParams(SQLITE_DIALECT);
    const sql = auditListSql(query, params);
    const rows = this.#lists.get(sql).all(...params.values) as AuditRow[];
    return Promise.resolve(rows.map(fromAuditRow));
  }

  auditHead(): Promise<AuditHead | undefined> {
    return Promise.resolve(this.#head.get());
  }

  auditTrail(): AsyncIterable<AuditRecord> {
    return trailInPages((afterSeq, limit) =>
      (afterSeq === undefined ? this.#trailFirst.all(limit) : this.#trailAfter.all(afterSeq, limit)).map(
        fromAuditRow,
      ),
    );
  }
}
