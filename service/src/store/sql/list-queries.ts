import type { ListFilterClause } from '../../authz/decision.js';
import type { AccountListQuery } from '../account-store.js';
import type { AuditQuery } from '../audit-log.js';
import type { ListQuery, Page } from '../transaction-store.js';
import type { SqlParams } from './dialect.js';
import { listFilterCondition, type FilterTable } from './list-filter.js';
import { storedTime } from './stored-time.js';

/** Where a page starts and how long it is (rows newest first, by `created_at` then `id`). */
export interface PageRequest {
  readonly limit: number;
  readonly after?: { readonly created_at: string; readonly id: string };
}

/** Collects `column operator value` conditions, each value a parameter. */
function conditions(
  params: SqlParams,
  first: string,
): {
  where: string[];
  add: (column: string, operator: string, value: unknown) => void;
} {
  const where = [first];
  return {
    where,
    add: (column, operator, value) => where.push(`${column} ${operator} ${params.add(value)}`),
  };
}

/**
 * One page of `table` whose rows meet `where`, newest first, after the cursor's row: keyset
 * pagination, one row more than asked to know if more follow (`pageOf`).
 */
function keysetPageSql(table: FilterTable, where: string[], page: PageRequest, params: SqlParams): string {
  if (page.after !== undefined) {
    const { created_at, id } = page.after;
    where.push(
      `(created_at < ${params.add(created_at)} OR (created_at = ${params.add(created_at)} AND id < ${params.add(id)}))`,
    );
  }
  return `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ${params.add(page.limit + 1)}`;
}

/** The rows of a keyset page query as a page: the extra row only says that more follow. */
export function pageOf<R, T>(rows: readonly R[], limit: number, fromRow: (row: R) => T): Page<T> {
  return { items: rows.slice(0, limit).map(fromRow), hasMore: rows.length > limit };
}

/** The page of transactions `query` asks for among those the list filter lets through. */
export function transactionListSql(
  query: ListQuery,
  anyOf: readonly ListFilterClause[],
  params: SqlParams,
): string {
  const { where, add } = conditions(params, listFilterCondition('transactions', anyOf, params));
  if (query.account_id !== undefined) add('account_id', '=', query.account_id);
  if (query.category !== undefined) add('category', '=', query.category);
  if (query.status !== undefined) add('status', '=', query.status);
  if (query.since !== undefined) add('created_at', '>=', storedTime(query.since));
  if (query.until !== undefined) add('created_at', '<', storedTime(query.until));
  if (query.min_amount !== undefined) add('amount_minor', '>=', query.min_amount);
  if (query.max_amount !== undefined) add('amount_minor', '<=', query.max_amount);
  return keysetPageSql('transactions', where, query, params);
}

/** The page of accounts `query` asks for among those the list filter lets through. */
export function accountListSql(
  query: AccountListQuery,
  anyOf: readonly ListFilterClause[],
  params: SqlParams,
): string {
  const { where, add } = conditions(params, listFilterCondition('accounts', anyOf, params));
  if (query.status !== undefined) add('status', '=', query.status);
  return keysetPageSql('accounts', where, query, params);
}

/** The audit records `query` asks for, newest first. */
export function auditListSql(query: AuditQuery, params: SqlParams): string {
  const { where, add } = conditions(params, params.dialect.always);
  if (query.beforeSeq !== undefined) add('seq', '<', query.beforeSeq);
  if (query.since !== undefined) add('time', '>=', storedTime(query.since));
  if (query.until !== undefined) add('time', '<', storedTime(query.until));
  if (query.sub !== undefined) add('sub', '=', query.sub);
  if (query.resource_id !== undefined) add('resource_id', '=', query.resource_id);
  if (query.outcome !== undefined) add('outcome', '=', query.outcome);
  return `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${params.add(query.limit)}`;
}
