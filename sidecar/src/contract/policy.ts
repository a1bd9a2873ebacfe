/**
 * The shapes the engine exchanges with the policies (ARCHITECTURE.md, Contracts). Inputs are typed
 * loosely enough that the service's own (stricter) types are assignable to them.
 */

/** Every action the policies know; others are denied by the policy, not refused here. */
export const POLICY_ACTIONS = [
  'transactions:list',
  'transactions:read',
  'transactions:create',
  'transactions:update',
  'transactions:delete',
  'transactions:approve',
  'transactions:reject',
  'accounts:open',
  'accounts:list',
  'accounts:read',
  'accounts:freeze',
  'accounts:unfreeze',
  'audit:read',
] as const;

/** One of {@link POLICY_ACTIONS}. */
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** The `agent` claim that marks AI-agent traffic. */
export interface AgentClaim {
  readonly id: string;
  readonly client_type: string;
}

/** Verified access-token claims (RFC 9068 plus Verdict's own); any further claims pass through. */
export interface SubjectClaims {
  readonly sub: string;
  readonly client_id: string;
  /** Space-separated scopes. */
  readonly scope: string;
  readonly roles?: readonly string[];
  readonly department?: string;
  readonly acr?: string;
  readonly auth_time?: number;
  readonly agent?: AgentClaim;
  /** Integer days, or an RFC 3339 full-date (`"2025-10-01"`) as in the AI-agent guidance. */
  readonly transaction_not_older_than?: number | string;
  /** Integer minor units, or a string of digits. */
  readonly transaction_amount_limit?: number | string;
  readonly excluded_categories?: readonly string[];
}

/** Who asks. */
export interface PolicySubject {
  readonly claims: SubjectClaims;
}

/** Attributes of the resource a decision is about (for create: the proposed transaction). */
export interface PolicyResource {
  readonly type: string;
  readonly id?: string;
  readonly owner?: string;
  readonly department?: string;
  readonly amount_minor?: number;
  readonly currency?: string;
  readonly category?: string;
  readonly status?: string;
  readonly created_at?: string;
  /** The account a transaction belongs to (every transaction action carries it). */
  readonly account?: PolicyAccount;
}

/** The attributes of an account that a transaction's decision reads. */
export interface PolicyAccount {
  readonly id: string;
  readonly owner: string;
  readonly department: string;
  readonly status: string;
}

/** The request's surroundings; `now` (RFC 3339) because WASM has no clock. */
export interface PolicyEnvironment {
  readonly now: string;
  readonly request_id?: string;
  readonly ip?: string;
}

/** Input of `verdict/authz/decision`. */
export interface PolicyInput {
  readonly subject: PolicySubject;
  /** A {@link PolicyAction}; any string is accepted so that unknown actions reach the policy (and are denied). */
  readonly action: string;
  readonly resource: PolicyResource;
  readonly environment: PolicyEnvironment;
}

/** Input of `verdict/authz/batch`: one subject and action over many resources. */
export interface BatchInput {
  readonly subject: PolicySubject;
  readonly action: string;
  readonly resources: readonly PolicyResource[];
  readonly environment: PolicyEnvironment;
}

/** Input of `verdict/authz/list_filter`: store conditions for the transactions or the accounts list. */
export interface ListFilterInput {
  readonly subject: PolicySubject;
  readonly action: 'transactions:list' | 'accounts:list';
  readonly environment: PolicyEnvironment;
}

/** Why a decision is what it is. */
export interface Reason {
  readonly code: string;
  readonly message: string;
  /** With `insufficient_scope`: the scope the action needs. */
  readonly scope?: string;
}

/** A step-up requirement (RFC 9470). */
export interface StepUp {
  readonly acr_values: string;
  readonly max_age: number;
}

/** The policy's decision (`verdict/authz/decision`, each element of `verdict/authz/batch`). */
export interface Decision {
  readonly allow: boolean;
  readonly visible: boolean;
  readonly reasons: readonly Reason[];
  /** Dotted paths of response fields to set to `null`. */
  readonly redact: readonly string[];
  readonly step_up?: StepUp;
}

/** One clause of a list filter: its fields are ANDed, the clauses ORed; `{}` matches every row. */
export interface ListFilterClause {
  readonly owner?: string;
  readonly department?: string;
  readonly currency?: string;
  /** RFC 3339 instant. */
  readonly created_at_gte?: string;
  readonly amount_minor_lte?: number;
  readonly category_not_in?: readonly string[];
}

/** Where a result came from: a fresh id per call and the bundle revision, for audit and decision logs. */
export interface Provenance {
  readonly decisionId: string;
  readonly revision: string;
}

/** Result of {@link PolicyInput} evaluation. */
export interface DecisionResult extends Provenance {
  readonly decision: Decision;
}

/** Result of a batch: decisions in the order of the input's resources. */
export interface BatchResult extends Provenance {
  readonly decisions: readonly Decision[];
}

/** Result of the list filter; an empty `anyOf` means no rows. */
export interface ListFilterResult extends Provenance {
  readonly anyOf: readonly ListFilterClause[];
}
