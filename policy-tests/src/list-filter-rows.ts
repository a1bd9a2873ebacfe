import Database from 'better-sqlite3';
import { listFilterSql, type FilterTable } from '@verdict/service/store/sqlite/list-filter-sql';
import { migrate } from '@verdict/service/store/sqlite/migrations';
import type { JsonObject } from './cases.js';

/** The frozen clock of the throwaway databases' migrations. */
const MIGRATED_AT = Date.parse('2026-11-23T10:00:00Z');

/** The table a list action reads. */
export function tableOf(action: unknown): FilterTable {
  if (action === 'transactions:list') return 'transactions';
  if (action === 'accounts:list') return 'accounts';
  throw new Error(`no table lists for ${JSON.stringify(action)}`);
}

/** A timestamp as the service stores it (`toISOString()`), so text order is time order. */
function stored(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new Error(`${at}: created_at must be an RFC 3339 timestamp`);
  return new Date(value).toISOString();
}

/**
 * Which rows the service's real list-filter SQL selects: the rows go into an in-memory SQLite
 * migrated like the service's, and the store's WHERE clause for `anyOf` picks them. One boolean
 * per row, in order.
 */
export function selectedRows(
  table: FilterTable,
  anyOf: readonly JsonObject[],
  rows: readonly JsonObject[],
): boolean[] {
  const db = new Database(':memory:');
  try {
    migrate(db, () => MIGRATED_AT);
    const insert = db.prepare(
      table === 'transactions'
        ? `INSERT INTO transactions (id, owner, account_id, amount_minor, currency, category, counterparty_name,
             counterparty_account, note, status, department, created_at, updated_at, version)
           VALUES (@id, @owner, @account_id, @amount_minor, @currency, @category, 'Counterparty', NULL, NULL,
             @status, @department, @created_at, @created_at, 1)`
        : `INSERT INTO accounts (id, owner, department, currency, status, created_at, version)
           VALUES (@id, @owner, @department, @currency, @status, @created_at, 1)`,
    );
    rows.forEach((row, i) => {
      const type = table === 'transactions' ? 'transaction' : 'account';
      if (row.type !== type) throw new Error(`row ${i} is a ${JSON.stringify(row.type)}, not a ${type}`);
      const account = row.account as JsonObject | undefined;
      const values: Record<string, unknown> = {
        // Ids by position: a case may list one fixture twice.
        id: `row-${i}`,
        owner: row.owner,
        department: row.department,
        currency: row.currency,
        status: row.status,
      };
      if (table === 'transactions') {
        Object.assign(values, {
          account_id: account?.id ?? 'account',
          amount_minor: row.amount_minor,
          category: row.category,
          created_at: stored(row.created_at, `row ${i}`),
        });
      } else {
        // Accounts are filtered by owner, department and currency only: their age is no clause.
        values.created_at = new Date(MIGRATED_AT).toISOString();
      }
      insert.run(values);
    });
    const { sql, params } = listFilterSql(table, anyOf);
    const ids = new Set(
      (db.prepare(`SELECT id FROM ${table} WHERE ${sql}`).all(...params) as { id: string }[]).map(
        (r) => r.id,
      ),
    );
    return rows.map((_, i) => ids.has(`row-${i}`));
  } finally {
    db.close();
  }
}
