import type { AccessTokenClaims } from '../auth/claims.js';
import type { Action, Environment, PolicyInput, ResourceAttributes } from './decision.js';

/** What the environment of a decision is built from. */
export interface RequestFacts {
  readonly nowMs: number;
  readonly requestId: string;
  readonly ip: string;
}

/** The decision environment of a request; `now` is the service's clock, as an RFC 3339 UTC time. */
export function environmentOf(facts: RequestFacts): Environment {
  return { now: new Date(facts.nowMs).toISOString(), request_id: facts.requestId, ip: facts.ip };
}

/** The one place a policy input is built: verified claims, action, resource attributes, environment. */
export function policyInput(
  claims: AccessTokenClaims,
  action: Action,
  resource: ResourceAttributes,
  facts: RequestFacts,
): PolicyInput {
  return { subject: { claims }, action, resource, environment: environmentOf(facts) };
}
