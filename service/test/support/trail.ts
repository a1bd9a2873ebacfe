import type { AuditRecord } from '../../src/audit/record.js';
import type { AuditLog } from '../../src/store/audit-log.js';

/** Every record of a store's trail, in seq order (the trail is read a page at a time). */
export async function trailOf(store: Pick<AuditLog, 'auditTrail'>): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for await (const record of store.auditTrail()) records.push(record);
  return records;
}
