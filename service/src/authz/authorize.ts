import type { Middleware } from 'koa';
import type { RequestState } from '../http/state.js';
import type { Action, Authorizer, Provenance, ResourceAttributes } from './decision.js';
import { enforce } from './enforce.js';
import { policyInput, type RequestFacts } from './policy-input.js';

/** What `authorize` leaves in `ctx.state` for the handler. */
export interface AuthorizedState extends RequestState {
  /** The resource the decision was about (set by an earlier middleware). */
  resource?: ResourceAttributes;
  /** Fields the response must set to null. */
  redact?: readonly string[];
  /** The decision's id and bundle revision, for the audit trail. */
  provenance?: Provenance;
}

/** The facts of a request that a decision's environment is built from. */
export function requestFacts(state: RequestState, now: () => number): RequestFacts {
  return { nowMs: now(), requestId: state.requestId, ip: state.clientIp };
}

/**
 * Asks the policy about `action` on `ctx.state.resource` and enforces the answer (ARCHITECTURE.md
 * order); the handler runs only on an allow, with the fields to redact in `ctx.state.redact`.
 */
export function authorize(
  authorizer: Authorizer,
  action: Action,
  now: () => number,
): Middleware<AuthorizedState> {
  return async function authorize(ctx, next) {
    const { claims, resource } = ctx.state;
    if (claims === undefined || resource === undefined)
      throw new Error(`authorize(${action}) ran without claims or resource`);
    const result = await authorizer.decide(
      policyInput(claims, action, resource, requestFacts(ctx.state, now)),
    );
    ctx.state.provenance = { decisionId: result.decisionId, revision: result.revision };
    ctx.state.redact = enforce(result.decision);
    await next();
  };
}
