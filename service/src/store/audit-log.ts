import type { AuditEntry, AuditOutcome, AuditRecord } from '../audit/record.js';

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

/** The newest committed record's place in the chain: what a checkpoint anchors. */
export interface AuditHead {
  readonly seq: number;
  readonly mac: string;
  readonly time: string;
}

/** Seals an audit entry as the record after `prev` (the audit chain's key stays outside the store). */
export type AuditSealer = (entry: AuditEntry, prev: { seq: number; mac: string } | undefined) => AuditRecord;

/** What the audit log calls back; given when the store is opened, never set afterwards. */
export interface AuditHooks {
  /** An audit record could not be written (the change it belongs to is rolled back): metrics. */
  readonly onAuditFailure?: () => void;
  /**
   * The transaction that appended a record has committed (called once per record); `log` reads the
   * committed head (the checkpointer), which may already be a later record, another replica's too.
   */
  readonly onAuditAppended?: (log: Pick<AuditLog, 'auditHead'>) => void;
}

/**
 * The HMAC-chained audit trail, in one total order. Records of changes are written by the change
 * itself, in its database transaction; `appendAudit` is for records without a change.
 */
export interface AuditLog {
  /** Appends an audit record on its own (denials, challenges, errors). */
  appendAudit(audit: AuditEntry): Promise<AuditRecord>;
  /** Audit records, newest first. */
  listAudit(query: AuditQuery): Promise<readonly AuditRecord[]>;
  /** Every audit record in sequence order, for verification. */
  auditTrail(): AsyncIterable<AuditRecord>;
  /** The newest committed audit record's seq, MAC and time; undefined while the trail is empty. */
  auditHead(): Promise<AuditHead | undefined>;
}
