import type { Middleware } from 'koa';
import { auditEntry } from '../audit/audit-entry.js';
import { redact } from '../authz/enforce.js';
import { idempotencyKeyOf, sendCreated } from '../http/idempotency.js';
import type { AccountStore } from '../store/account-store.js';
import { etagOf } from '../transactions/model.js';
import type { Account } from './model.js';
import type { AccountState } from './state.js';

/** Stores the allowed account with its audit record (and its response under an Idempotency-Key). */
export function openAccount(store: AccountStore, now: () => number): Middleware<AccountState> {
  return async function openAccount(ctx) {
    const { proposed, claims } = ctx.state;
    if (proposed === undefined || claims === undefined) throw new Error('openAccount ran without a proposal');
    const paths = ctx.state.redact ?? [];
    const respond = (account: Account) => ({
      status: 201,
      body: redact(account, paths),
      location: `/accounts/${account.id}`,
      etag: etagOf(account),
    });
    const idempotency = idempotencyKeyOf(ctx, claims, ctx.state.body);
    const audit = auditEntry(ctx.state, now(), {
      action: 'accounts:open',
      outcome: 'allowed',
      status: 201,
      changedFields: Object.keys(ctx.state.body as object),
    });
    const outcome = await store.openAccount(proposed, audit, idempotency, respond);
    if (outcome.kind === 'account_not_open') throw new Error('openAccount: the store refused a new account');
    sendCreated(ctx, outcome, respond, idempotency);
  };
}
