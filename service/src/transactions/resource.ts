import type { ResourceAttributes } from '../authz/decision.js';
import type { Transaction } from './model.js';

/** The attributes of a transaction the policy decides on (ARCHITECTURE.md policy input). */
export function resourceOf(transaction: Transaction): ResourceAttributes {
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
  };
}

/** The collection itself, for the list action's own decision. */
export const TRANSACTION_COLLECTION: ResourceAttributes = { type: 'transaction' };
