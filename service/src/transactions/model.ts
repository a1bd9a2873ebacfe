/** Transaction categories. */
export const CATEGORIES = [
  'groceries',
  'dining',
  'travel',
  'utilities',
  'salary',
  'transfer',
  'gambling',
  'crypto',
  'other',
] as const;

/** Transaction statuses. */
export const STATUSES = ['pending', 'approved', 'rejected', 'settled'] as const;

export type Category = (typeof CATEGORIES)[number];
export type Status = (typeof STATUSES)[number];

/** A banking transaction as stored and returned (amounts in integer minor units). */
export interface Transaction {
  readonly id: string;
  readonly owner: string;
  readonly account_id: string;
  readonly amount_minor: number;
  readonly currency: string;
  readonly category: Category;
  readonly counterparty: { readonly name: string; readonly account: string | null };
  readonly note: string | null;
  readonly status: Status;
  readonly department: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly version: number;
}

/** The fields PATCH may change. */
export interface TransactionChanges {
  readonly note?: string | null;
  readonly category?: Category;
}

/** The strong ETag of a transaction version. */
export function etagOf(transaction: Pick<Transaction, 'version'>): string {
  return `"${transaction.version}"`;
}
