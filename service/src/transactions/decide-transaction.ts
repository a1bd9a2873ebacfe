import type { Middleware } from 'koa';
import { auditEntry } from '../audit/audit-entry.js';
import type { RefusalRecorder } from '../authz/authorize.js';
import { redact } from '../authz/enforce.js';
import { ForbiddenError, PreconditionFailedError } from '../errors.js';
import type { TransactionStore } from '../store/transaction-store.js';
import { etagOf } from './model.js';
import type { TransactionState } from './state.js';

/** What approving or rejecting needs. */
export interface DecideTransactionDeps {
  readonly store: TransactionStore;
  readonly now: () => number;
  readonly recordRefusal: RefusalRecorder;
}

/** Approves or rejects the allowed, pending transaction, with its audit record. */
export function decideTransaction(
  status: 'approved' | 'rejected',
  { store, now, recordRefusal }: DecideTransactionDeps,
): Middleware<TransactionState> {
  const action = status === 'approved' ? 'transactions:approve' : 'transactions:reject';
  return async function decideTransaction(ctx) {
    const { transaction } = ctx.state;
    if (transaction === undefined) throw new Error('decideTransaction ran without a transaction');
    // The policy already requires `pending`; this guards the store against a policy that does not.
    if (transaction.status !== 'pending') {
      const reasons = ['not_pending'];
      await recordRefusal(ctx.state, { action, outcome: 'denied', status: 403, reasons });
      throw new ForbiddenError(reasons);
    }
    const audit = auditEntry(ctx.state, now(), {
      action,
      outcome: 'allowed',
      status: 200,
      changedFields: ['status'],
    });
    const at = new Date(now()).toISOString();
    const updated = await store.setStatus(transaction.id, transaction.version, status, at, audit);
    if (updated === undefined) throw new PreconditionFailedError();
    ctx.set('ETag', etagOf(updated));
    ctx.body = redact(updated, ctx.state.redact ?? []);
  };
}
