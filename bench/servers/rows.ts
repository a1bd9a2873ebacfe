import Database from 'better-sqlite3';
import type { TransactionRow } from '../../service/src/store/sql/rows.js';

/** A transactions row (the service's own row type) joined with its account's policy attributes. */
export interface Row extends TransactionRow {
  account_owner: string;
  account_department: string;
  account_status: string;
}

const COLUMNS = `t.id, t.owner, t.account_id, t.amount_minor, t.currency, t.category, t.counterparty_name,
  t.counterparty_account, t.note, t.status, t.department, t.created_at, t.updated_at, t.version,
  a.owner AS account_owner, a.department AS account_department, a.status AS account_status`;

/** The benchmark database (read-only), with its two statements prepared once. */
export function openRows(path: string): {
  byId: (id: string) => Row | undefined;
  pageOf: (owner: string, limit: number) => Row[];
} {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const byId = db.prepare<[string], Row>(
    `SELECT ${COLUMNS} FROM transactions t JOIN accounts a ON a.id = t.account_id WHERE t.id = ?`,
  );
  const page = db.prepare<[string, number], Row>(
    `SELECT ${COLUMNS} FROM transactions t JOIN accounts a ON a.id = t.account_id
     WHERE t.owner = ? ORDER BY t.created_at DESC, t.id DESC LIMIT ?`,
  );
  return { byId: (id) => byId.get(id), pageOf: (owner, limit) => page.all(owner, limit) };
}

/** The row as the API answers it. */
export function transactionOf(row: Row): Record<string, unknown> {
  return {
    id: row.id,
    owner: row.owner,
    account_id: row.account_id,
    amount_minor: row.amount_minor,
    currency: row.currency,
    category: row.category,
    counterparty: { name: row.counterparty_name, account: row.counterparty_account },
    note: row.note,
    status: row.status,
    department: row.department,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}

/** The row's attributes as the policy input's `resource` (ARCHITECTURE.md, policy input). */
export function resourceOf(row: Row) {
  return {
    type: 'transaction',
    id: row.id,
    owner: row.owner,
    department: row.department,
    amount_minor: row.amount_minor,
    currency: row.currency,
    category: row.category,
    status: row.status,
    created_at: row.created_at,
    account: {
      id: row.account_id,
      owner: row.account_owner,
      department: row.account_department,
      status: row.account_status,
    },
  };
}

/** Sets each dotted path to null (top-level and one level deep: what the policy redacts). */
export function redact(body: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  for (const path of paths) {
    const [head, tail] = path.split('.', 2);
    if (head === undefined) continue;
    const inner = body[head];
    if (tail === undefined) body[head] = null;
    else if (typeof inner === 'object' && inner !== null) (inner as Record<string, unknown>)[tail] = null;
  }
  return body;
}

/** The bench servers' settings, from the variables the launcher sets. */
export function settings(): {
  databasePath: string;
  bundlePath: string;
  jwksUrl: URL;
  issuer: string;
  audience: string;
  opaUrl: string | undefined;
} {
  const need = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === '') throw new Error(`${name} is required`);
    return value;
  };
  return {
    databasePath: need('DATABASE_PATH'),
    bundlePath: need('BUNDLE_PATH'),
    jwksUrl: new URL(need('JWKS_URL')),
    issuer: need('JWT_ISSUER'),
    audience: need('JWT_AUDIENCE'),
    opaUrl: process.env.OPA_URL,
  };
}
