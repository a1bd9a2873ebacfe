import type { AccessTokenClaims } from '../auth/claims.js';
import type {
  Action,
  Environment,
  PolicyClaims,
  PolicyInput,
  PolicySubject,
  ResourceAttributes,
} from './decision.js';

/** What the environment of a decision is built from. */
export interface RequestFacts {
  readonly nowMs: number;
  readonly requestId: string;
  readonly ip: string;
}

/**
 * The claims the policies read (policies/verdict/**); the registered claims only the verifier
 * checks (`iss`, `aud`, `exp`, `iat`, `nbf`, `jti`) stay out of the input.
 */
export const POLICY_CLAIMS = [
  'sub',
  'client_id',
  'scope',
  'roles',
  'department',
  'acr',
  'auth_time',
  'agent',
  'transaction_not_older_than',
  'transaction_amount_limit',
  'excluded_categories',
] as const satisfies readonly (keyof PolicyClaims)[];

/** One subject per verified claims object: a cached token's claims are projected once, not per request. */
const subjects = new WeakMap<AccessTokenClaims, PolicySubject>();

/** The input's `subject`: the verified claims the policies read (absent claims stay absent), frozen. */
export function subjectOf(claims: AccessTokenClaims): PolicySubject {
  let subject = subjects.get(claims);
  if (subject === undefined) {
    const picked: Record<string, unknown> = {};
    for (const name of POLICY_CLAIMS) {
      const value = claims[name];
      if (value !== undefined) picked[name] = value;
    }
    subject = Object.freeze({ claims: Object.freeze(picked as unknown as PolicyClaims) });
    subjects.set(claims, subject);
  }
  return subject;
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
  return { subject: subjectOf(claims), action, resource, environment: environmentOf(facts) };
}
