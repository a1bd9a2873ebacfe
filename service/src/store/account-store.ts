import type { Account, AccountStatus } from '../accounts/model.js';
import type { AuditEntry } from '../audit/record.js';
import type { ListFilterClause } from '../authz/decision.js';
import type { IdempotencyKey, StoredResponse } from './idempotency-store.js';
import type { CreateOutcome, Page } from './transaction-store.js';

/** The filters and page a client asks for. */
export interface AccountListQuery {
  readonly limit: number;
  readonly after?: { readonly created_at: string; readonly id: string };
  readonly status?: AccountStatus;
}

/**
 * Where accounts live. Like transactions, every change is conditional on the version read and
 * writes its audit entry in the same database transaction.
 */
export interface AccountStore {
  openAccount(
    account: Account,
    audit: AuditEntry,
    idempotency?: IdempotencyKey,
    respond?: (account: Account) => Omit<StoredResponse, 'fingerprint'>,
  ): Promise<CreateOutcome<Account>>;
  getAccount(id: string): Promise<Account | undefined>;
  /** The accounts of these ids that exist, by id (one query for a page of transactions). */
  getAccounts(ids: readonly string[]): Promise<ReadonlyMap<string, Account>>;
  listAccounts(query: AccountListQuery, anyOf: readonly ListFilterClause[]): Promise<Page<Account>>;
  setAccountStatus(
    id: string,
    version: number,
    status: AccountStatus,
    audit: AuditEntry,
  ): Promise<Account | undefined>;
}
