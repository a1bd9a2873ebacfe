import type { Middleware } from 'koa';
import { validator } from '../http/validator.js';
import { resourceOf } from './resource.js';
import { patchTransactionSchema } from './schemas.js';
import type { TransactionState } from './state.js';

const validatePatch = validator('body', patchTransactionSchema);

/**
 * Validates a PATCH body and puts the transaction as it would be after it before the policy: an
 * update is decided on the transaction as it is (before the body is read, so a hidden id answers
 * 404 whatever the body) and on the result.
 */
export const proposeChanges: Middleware<TransactionState> = async function proposeChanges(ctx, next) {
  const { transaction } = ctx.state;
  if (transaction === undefined) throw new Error('proposeChanges ran without a transaction');
  const changes = validatePatch(ctx.state.body ?? {});
  ctx.state.changes = changes;
  ctx.state.resource = resourceOf({ ...transaction, ...changes }, ctx.state.account);
  await next();
};
