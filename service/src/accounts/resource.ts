import type { AccountAttributes, ResourceAttributes } from '../authz/decision.js';
import type { Account } from './model.js';

/** The attributes of an account the policy decides on (ARCHITECTURE.md policy input). */
export function accountResourceOf(account: Account): ResourceAttributes {
  return {
    type: 'account',
    id: account.id,
    owner: account.owner,
    department: account.department,
    currency: account.currency,
    status: account.status,
  };
}

/** What a transaction's decision knows of its account (`resource.account`). */
export function accountRefOf(account: Account): AccountAttributes {
  return { id: account.id, owner: account.owner, department: account.department, status: account.status };
}

/** The account collection itself, for the list action's own decision. */
export const ACCOUNT_COLLECTION: ResourceAttributes = { type: 'account' };
