import type { AuditRecord } from '../../audit/record.js';

/** How many records one read of the trail fetches. */
export const TRAIL_PAGE = 1000;

/** One page of the trail in seq order: the first (no bound, so no record hides below seq 1), or those after a seq. */
export type TrailPage = (
  afterSeq: number | undefined,
  limit: number,
) => Promise<readonly AuditRecord[]> | readonly AuditRecord[];

/**
 * Every audit record in sequence order, read a page at a time by seq, so no cursor stays open
 * while the reader (the verifier) works between pages.
 */
export async function* trailInPages(page: TrailPage): AsyncIterable<AuditRecord> {
  let afterSeq: number | undefined;
  for (;;) {
    const records = await page(afterSeq, TRAIL_PAGE);
    yield* records;
    const last = records.at(-1);
    if (records.length < TRAIL_PAGE || last === undefined) return;
    afterSeq = last.seq;
  }
}
