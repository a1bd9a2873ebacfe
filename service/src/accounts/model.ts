/** Account statuses: a frozen account takes no new transaction and no approval. */
export const ACCOUNT_STATUSES = ['open', 'frozen'] as const;

export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** A customer's account, the resource every transaction belongs to. */
export interface Account {
  readonly id: string;
  /** The holder's `sub`. */
  readonly owner: string;
  /** The holder's home branch; its transactions belong to it. */
  readonly department: string;
  readonly currency: string;
  readonly status: AccountStatus;
  readonly created_at: string;
  readonly version: number;
}

/** The home branch of an account opened by a caller whose token names no department. */
export const DEFAULT_DEPARTMENT = 'retail';
