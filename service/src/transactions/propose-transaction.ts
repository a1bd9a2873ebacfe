import type { Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors.js';
import { validator } from '../http/validator.js';
import type { AccountStore } from '../store/account-store.js';
import type { Transaction } from './model.js';
import { resourceOf } from './resource.js';
import { createTransactionSchema } from './schemas.js';
import type { TransactionState } from './state.js';

const validateCreate = validator('body', createTransactionSchema);

/**
 * The transaction a POST /transactions proposes, on the account its body names: it takes the
 * account's holder and branch, whoever creates it. An account that does not exist answers exactly
 * as one the caller may not use (the policy's not-visible 404), so account ids cannot be probed.
 */
export function proposeTransaction(store: AccountStore, now: () => number): Middleware<TransactionState> {
  return async function proposeTransaction(ctx, next) {
    const body = validateCreate(ctx.state.body ?? {});
    const account = await store.getAccount(body.account_id);
    if (account === undefined) throw new NotFoundError();
    const at = new Date(now()).toISOString();
    const proposed: Transaction = {
      id: randomUUID(),
      owner: account.owner,
      account_id: account.id,
      amount_minor: body.amount_minor,
      currency: body.currency,
      category: body.category,
      counterparty: { name: body.counterparty.name, account: body.counterparty.account },
      note: body.note ?? null,
      status: 'pending',
      department: account.department,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    ctx.state.proposed = proposed;
    ctx.state.account = account;
    ctx.state.resource = resourceOf(proposed, account);
    await next();
  };
}
