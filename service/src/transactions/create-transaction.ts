import type { Middleware } from 'koa';
import { auditEntry } from '../audit/audit-entry.js';
import type { RefusalRecorder } from '../authz/authorize.js';
import { redact } from '../authz/enforce.js';
import { ForbiddenError } from '../errors.js';
import { idempotencyKeyOf, sendCreated } from '../http/idempotency.js';
import type { TransactionStore } from '../store/transaction-store.js';
import { etagOf, type Transaction } from './model.js';
import type { TransactionState } from './state.js';

/** What a create needs: the store, the clock and where a late refusal is recorded. */
export interface CreateTransactionDeps {
  readonly store: TransactionStore;
  readonly now: () => number;
  readonly recordRefusal: RefusalRecorder;
}

/** Stores the allowed proposal with its audit record (and its response under an Idempotency-Key). */
export function createTransaction({
  store,
  now,
  recordRefusal,
}: CreateTransactionDeps): Middleware<TransactionState> {
  return async function createTransaction(ctx) {
    const { proposed, claims } = ctx.state;
    if (proposed === undefined || claims === undefined)
      throw new Error('createTransaction ran without a proposal');
    const paths = ctx.state.redact ?? [];
    const respond = (transaction: Transaction) => ({
      status: 201,
      body: redact(transaction, paths),
      location: `/transactions/${transaction.id}`,
      etag: etagOf(transaction),
    });
    const idempotency = idempotencyKeyOf(ctx, claims, ctx.state.body);
    const audit = auditEntry(ctx.state, now(), {
      action: 'transactions:create',
      outcome: 'allowed',
      status: 201,
      changedFields: Object.keys(ctx.state.body as object),
    });
    const outcome = await store.create(proposed, audit, idempotency, respond);
    if (outcome.kind === 'account_not_open') {
      // Frozen between the decision and the write: refused as the policy refuses a frozen account.
      const reasons = ['account_not_open'];
      await recordRefusal(ctx.state, {
        action: 'transactions:create',
        outcome: 'denied',
        status: 403,
        reasons,
      });
      throw new ForbiddenError(reasons);
    }
    sendCreated(ctx, outcome, respond, idempotency);
  };
}
