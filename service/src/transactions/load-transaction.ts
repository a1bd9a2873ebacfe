import type { Middleware } from 'koa';
import { NotFoundError } from '../errors.js';
import type { TransactionStore } from '../store/transaction-store.js';
import { resourceOf } from './resource.js';
import type { TransactionState } from './state.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `:id` loader (`router.param`): the transaction, its account and their policy attributes; an
 * unknown or malformed id is a 404, as is one the policy later hides.
 */
export function loadTransaction(
  store: TransactionStore,
): (
  id: string,
  ctx: Parameters<Middleware<TransactionState>>[0],
  next: () => Promise<unknown>,
) => Promise<void> {
  return async function loadTransaction(id, ctx, next) {
    const loaded = UUID.test(id) ? await store.getWithAccount(id.toLowerCase()) : undefined;
    if (loaded === undefined) throw new NotFoundError();
    const { transaction, account } = loaded;
    ctx.state.transaction = transaction;
    ctx.state.account = account;
    ctx.state.resource = resourceOf(transaction, account);
    await next();
  };
}
