import type { Middleware } from 'koa';
import { redact } from '../authz/enforce.js';
import { etagOf } from '../transactions/model.js';
import type { AccountState } from './state.js';

/** Answers the loaded, allowed account with its ETag. */
export const readAccount: Middleware<AccountState> = function readAccount(ctx) {
  const { account } = ctx.state;
  if (account === undefined) throw new Error('readAccount ran without an account');
  ctx.set('ETag', etagOf(account));
  ctx.body = redact(account, ctx.state.redact ?? []);
};
