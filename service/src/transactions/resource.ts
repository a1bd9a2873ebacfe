import type { Account } from '../accounts/model.js';
import { accountRefOf } from '../accounts/resource.js';
import type { ResourceAttributes } from '../authz/decision.js';
import type { Transaction } from './model.js';

/**
 * The attributes of a transaction the policy decides on (ARCHITECTURE.md policy input), with its
 * account's; without the account (it should not happen) the policy fails closed on what needs it.
 */
export function resourceOf(transaction: Transaction, account: Account | undefined): ResourceAttributes {
  return {
    type: 'transaction',
    id: transaction.id,
    owner: transaction.owner,
    department: transaction.department,
    amount_minor: transaction.amount_minor,
    currency: transaction.currency,
    category: transaction.category,
    status: transaction.status,
    created_at: transaction.created_at,
    ...(account === undefined ? {} : { account: accountRefOf(account) }),
  };
}

/** The collection itself, for the list action's own decision. */
export const TRANSACTION_COLLECTION: ResourceAttributes = { type: 'transaction' };
