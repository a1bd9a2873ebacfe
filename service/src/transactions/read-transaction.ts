import type { Middleware } from 'koa';
import { redact } from '../authz/enforce.js';
import { etagOf } from './model.js';
import type { TransactionState } from './state.js';

/** Answers the loaded, allowed transaction with its ETag, redacted as the policy says. */
export const readTransaction: Middleware<TransactionState> = function readTransaction(ctx) {
  const { transaction } = ctx.state;
  if (transaction === undefined) throw new Error('readTransaction ran without a transaction');
  ctx.set('ETag', etagOf(transaction));
  ctx.body = redact(transaction, ctx.state.redact ?? []);
};
