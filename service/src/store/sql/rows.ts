import type { Account, AccountStatus } from '../../accounts/model.js';
import type { AuditRecord } from '../../audit/record.js';
import type { Category, Status, Transaction } from '../../transactions/model.js';
import type { StoredResponse } from '../idempotency-store.js';

// The rows of the SQL drivers' tables, the same columns on both engines: timestamps as
// `toISOString()` text, JSON as text (read back byte for byte: audit records are MAC'd over it).

/** A row of `transactions`. */
export interface TransactionRow {
  id: string;
  owner: string;
  account_id: string;
  amount_minor: number;
  currency: string;
  category: string;
  counterparty_name: string;
  counterparty_account: string | null;
  note: string | null;
  status: string;
  department: string;
  created_at: string;
  updated_at: string;
  version: number;
}

export function fromTransactionRow(row: TransactionRow): Transaction {
  return {
    id: row.id,
    owner: row.owner,
    account_id: row.account_id,
    amount_minor: row.amount_minor,
    currency: row.currency,
    category: row.category as Category,
    counterparty: { name: row.counterparty_name, account: row.counterparty_account },
    note: row.note,
    status: row.status as Status,
    department: row.department,
    created_at: row.created_at,
    updated_at: row.updated_at,
    version: row.version,
  };
}

export function toTransactionRow(transaction: Transaction): TransactionRow {
  return {
    id: transaction.id,
    owner: transaction.owner,
    account_id: transaction.account_id,
    amount_minor: transaction.amount_minor,
    currency: transaction.currency,
    category: transaction.category,
    counterparty_name: transaction.counterparty.name,
    counterparty_account: transaction.counterparty.account,
    note: transaction.note,
    status: transaction.status,
    department: transaction.department,
    created_at: transaction.created_at,
    updated_at: transaction.updated_at,
    version: transaction.version,
  };
}

/** A row of `accounts`. */
export interface AccountRow {
  id: string;
  owner: string;
  department: string;
  currency: string;
  status: string;
  created_at: string;
  version: number;
}

export function fromAccountRow(row: AccountRow): Account {
  return { ...row, status: row.status as AccountStatus };
}

/** A row of `audit_log`: the lists of the record as JSON text. */
export interface AuditRow extends Omit<AuditRecord, 'reasons' | 'changed_fields'> {
  reasons: string;
  changed_fields: string;
}

export function fromAuditRow(row: AuditRow): AuditRecord {
  return {
    ...row,
    reasons: JSON.parse(row.reasons) as string[],
    changed_fields: JSON.parse(row.changed_fields) as string[],
  };
}

export function toAuditRow(record: AuditRecord): AuditRow {
  return {
    ...record,
    reasons: JSON.stringify(record.reasons),
    changed_fields: JSON.stringify(record.changed_fields),
  };
}

/** A row of `idempotency_keys`. */
export interface IdempotencyRow {
  fingerprint: string;
  status: number;
  body: string;
  location: string;
  etag: string;
  created_at: string;
}

export function fromIdempotencyRow(row: IdempotencyRow): StoredResponse {
  return {
    fingerprint: row.fingerprint,
    status: row.status,
    body: JSON.parse(row.body),
    location: row.location,
    etag: row.etag,
  };
}
