import type { Page } from '../transaction-store.js';
import type { StatementCache } from './statement-cache.js';

/** Where a page starts and how long it is (rows newest first, by `created_at` then `id`). */
export interface PageRequest {
  readonly limit: number;
  readonly after?: { readonly created_at: string; readonly id: string };
}

/**
 * One page of `table` whose rows meet every condition in `where` (with its `params`), newest
 * first, after the cursor's row: keyset pagination, one row more than asked to know if more follow.
 */
export function keysetPage<T>(
  lists: StatementCache,
  table: 'transactions' | 'accounts',
  conditions: { readonly where: readonly string[]; readonly params: readonly unknown[] },
  page: PageRequest,
  fromRow: (row: never) => T,
): Page<T> {
  const where = [...conditions.where];
  const params = [...conditions.params];
  if (page.after !== undefined) {
    where.push('(created_at < ? OR (created_at = ? AND id < ?))');
    params.push(page.after.created_at, page.after.created_at, page.after.id);
  }
  const rows = lists
    .get(`SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`)
    .all(...params, page.limit + 1) as never[];
  return { items: rows.slice(0, page.limit).map(fromRow), hasMore: rows.length > page.limit };
}
