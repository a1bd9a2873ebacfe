import type { ListFilterClause } from '../../authz/decision.js';
import type { SqlParams } from './dialect.js';
import { storedTime } from './stored-time.js';

/** The tables a list filter applies to. */
export type FilterTable = 'transactions' | 'accounts';

/** The list-filter fields each table has columns for. */
export const FILTER_FIELDS: Readonly<Record<FilterTable, ReadonlySet<string>>> = {
  transactions: new Set([
    'owner',
    'department',
    'currency',
    'created_at_gte',
    'amount_minor_lte',
    'category_not_in',
  ]),
  accounts: new Set(['owner', 'department', 'currency']),
};

/**
 * The condition "any clause matches", the fields of one clause ANDed (ARCHITECTURE.md, List
 * filter), its values added to `params` in the dialect of the engine that runs it. Fails closed: no
 * clause matches no row, and neither does a clause with a field the table cannot check or a field
 * without a value (null, or a `category_not_in` that is no list). The SQL text depends only on the
 * clauses' shape, never on their values.
 */
export function listFilterCondition(
  table: FilterTable,
  anyOf: readonly ListFilterClause[],
  params: SqlParams,
): string {
  const { always, never } = params.dialect;
  if (anyOf.length === 0) return never;
  const fields = FILTER_FIELDS[table];
  const clauses = anyOf.map((clause) => {
    const unchecked = Object.entries(clause).some(
      ([field, value]) => !fields.has(field) || value === undefined || value === null,
    );
    const excluded: unknown = clause.category_not_in ?? [];
    if (unchecked || !Array.isArray(excluded)) return never;
    const parts: string[] = [];
    const where = (column: string, operator: string, value: unknown): void => {
      parts.push(`${column} ${operator} ${params.add(value)}`);
    };
    if (clause.owner !== undefined) where('owner', '=', clause.owner);
    if (clause.department !== undefined) where('department', '=', clause.department);
    if (clause.currency !== undefined) where('currency', '=', clause.currency);
    if (clause.created_at_gte !== undefined) where('created_at', '>=', storedTime(clause.created_at_gte));
    if (clause.amount_minor_lte !== undefined) where('amount_minor', '<=', clause.amount_minor_lte);
    if (excluded.length > 0) {
      parts.push(params.dialect.noneOf('category', params.add(params.dialect.list(excluded))));
    }
    return parts.length === 0 ? always : `(${parts.join(' AND ')})`;
  });
  return `(${clauses.join(' OR ')})`;
}
