import type { Middleware } from 'koa';
import { auditEntry } from '../audit/audit-entry.js';
import { redact } from '../authz/enforce.js';
import { PreconditionFailedError } from '../errors.js';
import type { TransactionStore } from '../store/transaction-store.js';
import { etagOf } from './model.js';
import type { TransactionState } from './state.js';

/** Writes the allowed changes if the version is still the one read (else 412), with its audit record. */
export function updateTransaction(store: TransactionStore, now: () => number): Middleware<TransactionState> {
  return async function updateTransaction(ctx) {
    const { transaction, changes } = ctx.state;
    if (transaction === undefined || changes === undefined)
      throw new Error('updateTransaction ran without changes');
    const audit = auditEntry(ctx.state, now(), {
      action: 'transactions:update',
      outcome: 'allowed',
      status: 200,
      changedFields: Object.keys(changes),
    });
    const at = new Date(now()).toISOString();
    const updated = await store.update(transaction.id, transaction.version, changes, at, audit);
    if (updated === undefined) throw new PreconditionFailedError();
    ctx.set('ETag', etagOf(updated));
    ctx.body = redact(updated, ctx.state.redact ?? []);
  };
}
