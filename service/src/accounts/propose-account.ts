import type { Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import { validator } from '../http/validator.js';
import { DEFAULT_DEPARTMENT, type Account } from './model.js';
import { accountResourceOf } from './resource.js';
import { openAccountSchema } from './schemas.js';
import type { AccountState } from './state.js';

const validateOpen = validator('body', openAccountSchema);

/**
 * The account a POST /accounts proposes: the caller's own, at their department's branch (or the
 * default), unless the body names a holder or branch — which the policy then decides on.
 */
export function proposeAccount(now: () => number): Middleware<AccountState> {
  return async function proposeAccount(ctx, next) {
    const body = validateOpen(ctx.state.body ?? {});
    const claims = ctx.state.claims;
    if (claims === undefined) throw new Error('proposeAccount ran before authentication');
    const proposed: Account = {
      id: randomUUID(),
      owner: body.owner ?? claims.sub,
      department: body.department ?? claims.department ?? DEFAULT_DEPARTMENT,
      currency: body.currency,
      status: 'open',
      created_at: new Date(now()).toISOString(),
      version: 1,
    };
    ctx.state.proposed = proposed;
    ctx.state.resource = accountResourceOf(proposed);
    await next();
  };
}
