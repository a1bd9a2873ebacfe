import type { Middleware } from 'koa';
import { auditEntry } from '../audit/audit-entry.js';
import { PreconditionFailedError } from '../errors.js';
import type { TransactionStore } from '../store/transaction-store.js';
import type { TransactionState } from './state.js';

/** Deletes the allowed transaction if its version is still the one read (else 412), with its audit record. */
export function deleteTransaction(store: TransactionStore, now: () => number): Middleware<TransactionState> {
  return async function deleteTransaction(ctx) {
    const { transaction } = ctx.state;
    if (transaction === undefined) throw new Error('deleteTransaction ran without a transaction');
    const audit = auditEntry(ctx.state, now(), {
      action: 'transactions:delete',
      outcome: 'allowed',
      status: 204,
    });
    if (!(await store.delete(transaction.id, transaction.version, audit)))
      throw new PreconditionFailedError();
    ctx.status = 204;
  };
}
