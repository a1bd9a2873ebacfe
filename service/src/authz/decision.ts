import {
  POLICY_ACTIONS,
  type BatchResult,
  type DecisionResult,
  type ListFilterResult,
  type PolicyAccount,
  type PolicyAction,
  type PolicyEnvironment,
  type PolicyResource,
  type SubjectClaims,
} from '@verdict/sidecar/contract/policy';
import type { AgentClaim } from '../auth/claims.js';

export type {
  BatchResult,
  Decision,
  DecisionResult,
  ListFilterClause,
  ListFilterResult,
  Provenance,
  Reason,
  StepUp,
} from '@verdict/sidecar/contract/policy';

/** Every action a route can ask the policy about. */
export const ACTIONS = POLICY_ACTIONS;

export type Action = PolicyAction;

/** What a transaction's decision knows of its account. */
export interface AccountAttributes extends PolicyAccount {
  readonly status: 'open' | 'frozen';
}

/** The attributes of the resource a decision is about: a transaction, an account or the audit log. */
export interface ResourceAttributes extends PolicyResource {
  readonly type: 'transaction' | 'account' | 'audit';
  readonly account?: AccountAttributes;
}

/** What the service knows of the request's surroundings; `now` because the policy has no clock. */
export interface Environment extends PolicyEnvironment {
  readonly request_id: string;
  readonly ip: string;
}

/** The verified claims a decision sees: those the policies read (see `POLICY_CLAIMS`). */
export interface PolicyClaims extends SubjectClaims {
  readonly agent?: AgentClaim;
}

/** Who asks, as every input names them. */
export interface PolicySubject {
  readonly claims: PolicyClaims;
}

/** The one input shape of every decision. */
export interface PolicyInput {
  readonly subject: PolicySubject;
  readonly action: Action;
  readonly resource: ResourceAttributes;
  readonly environment: Environment;
}

/** Input of a batch decision: one subject and action over many resources. */
export interface BatchInput {
  readonly subject: PolicySubject;
  readonly action: Action;
  readonly resources: readonly ResourceAttributes[];
  readonly environment: Environment;
}

/** Input of the list filter. */
export interface ListFilterInput {
  readonly subject: PolicySubject;
  readonly action: 'transactions:list' | 'accounts:list';
  readonly environment: Environment;
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
