import { createHmac } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/** How an audited request ended. */
export type AuditOutcome = 'allowed' | 'denied' | 'error';

/** What a request contributes to its audit record; the chain adds `seq`, `prev_mac` and `mac`. */
export interface AuditEntry {
  readonly id: string;
  readonly time: string;
  readonly request_id: string;
  readonly decision_id: string | null;
  readonly bundle_revision: string | null;
  readonly action: string;
  readonly resource_type: string;
  readonly resource_id: string | null;
  readonly sub: string | null;
  readonly client_id: string | null;
  readonly agent_id: string | null;
  readonly agent_client_type: string | null;
  readonly outcome: AuditOutcome;
  readonly reasons: readonly string[];
  readonly http_status: number;
  /** Names of the changed fields, never their values. */
  readonly changed_fields: readonly string[];
  readonly client_ip: string | null;
}

/** An audit record as stored: the entry, its place in the total order and its MAC. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly prev_mac: string;
  readonly mac: string;
}

/** Every field of an audit record, in the order GET /audit documents them and the stores' columns. */
export const AUDIT_RECORD_FIELDS = [
  'seq',
  'id',
  'time',
  'request_id',
  'decision_id',
  'bundle_revision',
  'action',
  'resource_type',
  'resource_id',
  'sub',
  'client_id',
  'agent_id',
  'agent_client_type',
  'outcome',
  'reasons',
  'http_status',
  'changed_fields',
  'client_ip',
  'prev_mac',
  'mac',
] as const satisfies readonly (keyof AuditRecord)[];

/** The `prev_mac` of the first record. */
export const GENESIS_MAC = '0'.repeat(64);

/** The fields a MAC covers, in canonical (RFC 8785) form. */
export function sealedPayload(record: Omit<AuditRecord, 'mac'>): string {
  return canonicalJson(record);
}

/**
 * HMAC-SHA256 over the previous record's MAC and this record's canonical JSON, keyed by a secret
 * kept outside the database: a database user can neither edit a record nor rebuild the chain.
 */
export function macOf(key: Buffer, record: Omit<AuditRecord, 'mac'>): string {
  return createHmac('sha256', key)
    .update(record.prev_mac)
    .update('\n')
    .update(sealedPayload(record))
    .digest('hex');
}

/** Seals an entry as the record after `prev` (seq and MAC), ready to append. */
export function seal(
  key: Buffer,
  entry: AuditEntry,
  prev: { seq: number; mac: string } | undefined,
): AuditRecord {
  const unsealed = { ...entry, seq: (prev?.seq ?? 0) + 1, prev_mac: prev?.mac ?? GENESIS_MAC };
  return { ...unsealed, mac: macOf(key, unsealed) };
}

/** A store's sealer for this key: seals each entry after the chain's last record. */
export function sealWith(
  key: Buffer,
): (entry: AuditEntry, prev: { seq: number; mac: string } | undefined) => AuditRecord {
  return (entry, prev) => seal(key, entry, prev);
}
