import { timingSafeEqual } from 'node:crypto';
import { GENESIS_MAC, macOf, type AuditRecord } from './record.js';

/** The verdict on a chain: ok, or the first record that breaks it and why. */
export type ChainVerdict =
  | { readonly ok: true; readonly records: number; readonly lastSeq: number }
  | {
      readonly ok: false;
      readonly records: number;
      readonly seq: number;
      readonly id: string;
      readonly problem: string;
    };

function equalHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Walks records in sequence order and checks that each follows the previous one (no gap, no
 * reordering, `prev_mac` links) and that its MAC is the one the key gives. Names the first break.
 */
export function verifyChain(records: Iterable<AuditRecord>, key: Buffer): ChainVerdict {
  let expectedSeq = 1;
  let prevMac = GENESIS_MAC;
  let count = 0;
  for (const record of records) {
    count++;
    const broken = (problem: string): ChainVerdict => ({
      ok: false,
      records: count,
      seq: record.seq,
      id: record.id,
      problem,
    });
    if (record.seq !== expectedSeq) {
      return broken(
        record.seq > expectedSeq
          ? `record ${expectedSeq}${record.seq - expectedSeq > 1 ? `..${record.seq - 1}` : ''} is missing`
          : `sequence goes backwards (expected ${expectedSeq})`,
      );
    }
    if (!equalHex(record.prev_mac, prevMac))
      return broken('prev_mac does not match the previous record (reordered or removed)');
    const { mac, ...unsealed } = record;
    if (!equalHex(mac, macOf(key, unsealed)))
      return broken('MAC does not match: the record was altered or sealed with another key');
    prevMac = mac;
    expectedSeq++;
  }
  return { ok: true, records: count, lastSeq: expectedSeq - 1 };
}
