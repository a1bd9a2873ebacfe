import { timingSafeEqual } from 'node:crypto';
import type { CheckpointLine } from './checkpoint.js';
import { GENESIS_MAC, macOf, type AuditRecord } from './record.js';

/** The verdict on a chain: ok, or the first record that breaks it and why. */
export type ChainVerdict =
  | { readonly ok: true; readonly records: number; readonly lastSeq: number }
  | {
      readonly ok: false;
      readonly records: number;
      readonly seq: number;
      /** The breaking record's id; null when the break is records missing from the end. */
      readonly id: string | null;
      readonly problem: string;
    };

function equalHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function range(from: number, to: number): string {
  return from === to ? `record ${from} is missing` : `records ${from}–${to} are missing`;
}

/**
 * Walks records in sequence order and checks that each follows the previous one (no gap, no
 * reordering, `prev_mac` links) and that its MAC is the one the key gives. With checkpoints (the
 * head as anchored outside the database), each checkpoint's MAC must be the record's at its seq,
 * and the chain must reach the highest checkpointed seq. Names the first break.
 */
export async function verifyChain(
  records: Iterable<AuditRecord> | AsyncIterable<AuditRecord>,
  key: Buffer,
  checkpoints: readonly CheckpointLine[] = [],
): Promise<ChainVerdict> {
  const anchors = [...checkpoints].sort((a, b) => a.seq - b.seq);
  let next = 0;
  let anchoredSeq = 0;
  let expectedSeq = 1;
  let prevMac = GENESIS_MAC;
  let count = 0;
  for await (const record of records) {
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
    const firstAnchor = next;
    for (let anchor = anchors[next]; anchor?.seq === record.seq; anchor = anchors[++next]) {
      if (!equalHex(anchor.mac, mac)) {
        return broken(
          `MAC differs from the checkpoint on line ${anchor.line} (recorded at ${anchor.time}): ` +
            `the records after seq ${anchoredSeq} were replaced (tail deleted and re-chained, or rewritten)`,
        );
      }
    }
    if (next > firstAnchor) anchoredSeq = record.seq;
    prevMac = mac;
    expectedSeq++;
  }
  const lastSeq = expectedSeq - 1;
  const highest = anchors.at(-1);
  if (highest !== undefined && highest.seq > lastSeq) {
    return {
      ok: false,
      records: count,
      seq: lastSeq + 1,
      id: null,
      problem:
        `${range(lastSeq + 1, highest.seq)}: the database ends at seq ${lastSeq} but a checkpoint at ` +
        `${highest.time} (line ${highest.line}) recorded seq ${highest.seq}`,
    };
  }
  return { ok: true, records: count, lastSeq };
}
