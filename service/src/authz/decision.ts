import type { AccessTokenClaims } from '../auth/claims.js';

/** Every action a route can ask the policy about. */
export const ACTIONS = [
  'transactions:list',
  'transactions:read',
  'transactions:create',
  'transactions:update',
  'transactions:delete',
  'transactions:approve',
  'transactions:reject',
  'audit:read',
] as const;

export type Action = (typeof ACTIONS)[number];

/** A reason the policy gives for its decision. */
export interface Reason {
  readonly code: string;
  readonly message: string;
  /** With `insufficient_scope`: the scope the action needs. */
  readonly scope?: string;
}

/** A step-up requirement (RFC 9470). */
export interface StepUp {
  readonly acr_values: string;
  readonly max_age?: number;
}

/** The policy's decision, in the shape of ARCHITECTURE.md. */
export interface Decision {
  readonly allow: boolean;
  readonly visible: boolean;
  readonly reasons: readonly Reason[];
  readonly redact: readonly string[];
  readonly step_up?: StepUp;
}

/** The attributes of the resource a decision is about. */
export interface ResourceAttributes {
  readonly type: 'transaction' | 'audit';
  readonly id?: string;
  readonly owner?: string;
  readonly department?: string;
  readonly amount_minor?: number;
  readonly currency?: string;
  readonly category?: string;
  readonly status?: string;
  readonly created_at?: string;
}

/** What the service knows of the request's surroundings; `now` because the policy has no clock. */
export interface Environment {
  readonly now: string;
  readonly request_id: string;
  readonly ip: string;
}

/** The one input shape of every decision. */
export interface PolicyInput {
  readonly subject: { readonly claims: AccessTokenClaims };
  readonly action: Action;
  readonly resource: ResourceAttributes;
  readonly environment: Environment;
}

/** Input of a batch decision: one subject and action over many resources. */
export interface BatchInput {
  readonly subject: { readonly claims: AccessTokenClaims };
  readonly action: Action;
  readonly resources: readonly ResourceAttributes[];
  readonly environment: Environment;
}

/** Input of the list filter. */
export interface ListFilterInput {
  readonly subject: { readonly claims: AccessTokenClaims };
  readonly action: 'transactions:list';
  readonly environment: Environment;
}

/** One clause of a list filter: its fields are ANDed; clauses are ORed. */
export interface ListFilterClause {
  readonly owner?: string;
  readonly department?: string;
  readonly currency?: string;
  readonly created_at_gte?: string;
  readonly amount_minor_lte?: number;
  readonly category_not_in?: readonly string[];
}

/** Where a decision came from, for the audit trail. */
export interface Provenance {
  readonly decisionId?: string;
  readonly revision?: string;
}

export interface DecisionResult extends Provenance {
  readonly decision: Decision;
}

export interface BatchResult extends Provenance {
  readonly decisions: readonly Decision[];
}

export interface ListFilterResult extends Provenance {
  readonly anyOf: readonly ListFilterClause[];
}

/**
 * The policy decision point as the service sees it. Implementations throw the service's
 * PolicyNoDecisionError or AuthorizationUnavailableError, never answer with an allow on failure.
 */
export interface Authorizer {
  decide(input: PolicyInput): Promise<DecisionResult>;
  decideBatch(input: BatchInput): Promise<BatchResult>;
  listFilter(input: ListFilterInput): Promise<ListFilterResult>;
  /** Whether decisions can be made now (readiness). */
  ready(): boolean;
}
