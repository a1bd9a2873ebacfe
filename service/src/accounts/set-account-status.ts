import type { Middleware } from 'koa';
import { auditEntry } from '../audit/audit-entry.js';
import { redact } from '../authz/enforce.js';
import { PreconditionFailedError } from '../errors.js';
import type { AccountStore } from '../store/account-store.js';
import { etagOf } from '../transactions/model.js';
import type { AccountStatus } from './model.js';
import type { AccountState } from './state.js';

/** Freezes (`frozen`) or unfreezes (`open`) the allowed account if its version is still the one read. */
export function setAccountStatus(
  status: AccountStatus,
  store: AccountStore,
  now: () => number,
): Middleware<AccountState> {
  const action = status === 'frozen' ? 'accounts:freeze' : 'accounts:unfreeze';
  return async function setAccountStatus(ctx) {
    const { account } = ctx.state;
    if (account === undefined) throw new Error('setAccountStatus ran without an account');
    const audit = auditEntry(ctx.state, now(), {
      action,
      outcome: 'allowed',
      status: 200,
      changedFields: ['status'],
    });
    const updated = await store.setAccountStatus(account.id, account.version, status, audit);
    if (updated === undefined) throw new PreconditionFailedError();
    ctx.set('ETag', etagOf(updated));
    ctx.body = redact(updated, ctx.state.redact ?? []);
  };
}
