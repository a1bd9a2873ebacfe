import type { Middleware } from 'koa';
import { NotFoundError } from '../errors.js';
import type { AccountStore } from '../store/account-store.js';
import { accountResourceOf } from './resource.js';
import { accountIdSchema } from './schemas.js';
import type { AccountState } from './state.js';

const ACCOUNT_ID = new RegExp(accountIdSchema.pattern);

/** The `:id` loader (`router.param`): the account and its policy attributes; an unknown id is a 404. */
export function loadAccount(
  store: AccountStore,
): (id: string, ctx: Parameters<Middleware<AccountState>>[0], next: () => Promise<unknown>) => Promise<void> {
  return async function loadAccount(id, ctx, next) {
    const account = ACCOUNT_ID.test(id) ? await store.getAccount(id) : undefined;
    if (account === undefined) throw new NotFoundError();
    ctx.state.account = account;
    ctx.state.resource = accountResourceOf(account);
    await next();
  };
}
