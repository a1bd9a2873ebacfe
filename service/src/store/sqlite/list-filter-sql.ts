import type { ListFilterClause } from '../../authz/decision.js';
import { SQLITE_DIALECT, SqlParams } from '../sql/dialect.js';
import { listFilterCondition, type FilterTable } from '../sql/list-filter.js';

export type { FilterTable } from '../sql/list-filter.js';

/** A SQL condition and the values of its placeholders, in order. */
export interface SqlCondition {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * The list filter as a SQLite condition on its own (`?` placeholders from the first): what the
 * decision tables run against their rows. The drivers compile it into their list statements.
 */
export function listFilterSql(table: FilterTable, anyOf: readonly ListFilterClause[]): SqlCondition {
  const params = new SqlParams(SQLITE_DIALECT);
  const sql = listFilterCondition(table, anyOf, params);
  return { sql, params: params.values };
}
