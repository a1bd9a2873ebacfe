import type Database from 'better-sqlite3';
import type { AuditEntry, AuditRecord } from '../../audit/record.js';
import type { AuditHead, AuditHooks, AuditLog, AuditQuery, AuditSealer } from '../audit-log.js';
import { StatementCache } from './statement-cache.js';
import { storedTime } from './stored-time.js';

interface AuditRow extends Omit<AuditRecord, 'reasons' | 'changed_fields'> {
  reasons: string;
  changed_fields: string;
}

function fromAuditRow(row: AuditRow): AuditRecord {
  return {
    ...row,
    reasons: JSON.parse(row.reasons) as string[],
    changed_fields: JSON.parse(row.changed_fields) as string[],
  };
}

/** The audit_log table: the HMAC chain in seq order. */
export class SqliteAuditLog implements AuditLog {
  readonly #seal: AuditSealer;
  readonly #hooks: AuditHooks;
  readonly #head: Database.Statement<[], AuditHead>;
  readonly #insert: Database.Statement<[Record<string, unknown>]>;
  readonly #trail: Database.Statement<[], AuditRow>;
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
    this.#trail = db.prepare('SELECT * FROM audit_log ORDER BY seq');
    this.#appendAlone = db.transaction((entry: AuditEntry) => this.append(entry));
    this.#lists = new StatementCache(db);
  }

  /**
   * Seals and appends one record after the chain's last; must run inside a write transaction,
   * which fixes the order (the change it records is in the same one).
   */
  append(entry: AuditEntry): AuditRecord {
    const record = this.#seal(entry, this.#head.get());
    try {
      this.#insert.run({
        ...record,
        reasons: JSON.stringify(record.reasons),
        changed_fields: JSON.stringify(record.changed_fields),
      });
    } catch (error) {
      this.#hooks.onAuditFailure?.();
      throw error;
    }
    this.#hooks.onAuditAppended?.(this);
    return record;
  }

  appendAudit(audit: AuditEntry): Promise<AuditRecord> {
    return Promise.resolve(this.#appendAlone.immediate(audit));
  }

  listAudit(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const where: string[] = ['1'];
    const params: unknown[] = [];
    const filter = (sql: string, value: unknown): void => {
      where.push(sql);
      params.push(value);
    };
    if (query.beforeSeq !== undefined) filter('seq < ?', query.beforeSeq);
    if (query.since !== undefined) filter('time >= ?', storedTime(query.since));
    if (query.until !== undefined) filter('time < ?', storedTime(query.until));
    if (query.sub !== undefined) filter('sub = ?', query.sub);
    if (query.resource_id !== undefined) filter('resource_id = ?', query.resource_id);
    if (query.outcome !== undefined) filter('outcome = ?', query.outcome);
    const rows = this.#lists
      .get(`SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`)
      .all(...params, query.limit) as AuditRow[];
    return Promise.resolve(rows.map(fromAuditRow));
  }

  auditHead(): AuditHead | undefined {
    return this.#head.get();
  }

  *auditTrail(): Iterable<AuditRecord> {
    for (const row of this.#trail.iterate()) yield fromAuditRow(row);
  }
}
