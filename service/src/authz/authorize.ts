import type { Middleware } from 'koa';
import { ApiError } from '../errors.js';
import type { RequestState } from '../http/state.js';
import type { Action, Authorizer, Decision, Provenance, ResourceAttributes } from './decision.js';
import { enforce } from './enforce.js';
import { policyInput, type RequestFacts } from './policy-input.js';

/** What `authorize` leaves in `ctx.state` for the handler. */
export interface AuthorizedState extends RequestState {
  /** The action decided on. */
  action?: Action;
  /** The resource the decision was about (set by an earlier middleware). */
  resource?: ResourceAttributes;
  /** Fields the response must set to null. */
  redact?: readonly string[];
  /** The decision's id and bundle revision, for the audit trail. */
  provenance?: Partial<Provenance>;
}

/** The facts of a request that a decision's environment is built from. */
export function requestFacts(state: RequestState, now: () => number): RequestFacts {
  return { nowMs: now(), requestId: state.requestId, ip: state.clientIp };
}

/** A refused or failed request, as the audit trail records it. */
export interface Refusal {
  readonly action: string;
  readonly outcome: 'denied' | 'error';
  readonly status: number;
  readonly reasons: readonly string[];
}

/**
 * Where refusals are recorded (the app writes them to the audit trail); it must never turn a deny
 * into an allow, so it does not throw.
 */
export type RefusalRecorder = (state: AuthorizedState, refusal: Refusal) => Promise<void>;

function reasonCodes(decision: Decision | undefined, error: ApiError): string[] {
  const codes = decision?.reasons.map((reason) => reason.code) ?? [];
  return codes.length > 0 ? codes : [error.code];
}

/** What `authorize` needs: the policy, the clock, the audit of refusals and the decision metric. */
export interface AuthorizeDeps {
  readonly authorizer: Authorizer;
  readonly now: () => number;
  readonly recordRefusal: RefusalRecorder;
  /** Counts each decision: outcome allow, deny or error, and the first reason code. */
  readonly onDecision?: (action: Action, outcome: 'allow' | 'deny' | 'error', reason: string) => void;
}

/** Counts a refused or failed policy call and audits it; the refusal stands even if the audit fails. */
async function recordRefusal(
  { recordRefusal: record, onDecision }: AuthorizeDeps,
  state: AuthorizedState,
  action: Action,
  error: ApiError,
  reasons: readonly string[],
): Promise<void> {
  const failed = error.status >= 500;
  onDecision?.(action, failed ? 'error' : 'deny', reasons[0] ?? error.code);
  await record(state, { action, outcome: failed ? 'error' : 'denied', status: error.status, reasons });
}

/**
 * Runs a policy call that is not a single decision (a list filter, a batch) on the path every
 * decision takes: a failure is counted and audited like a refused decision, then thrown.
 */
export async function policyCall<T>(
  deps: AuthorizeDeps,
  state: AuthorizedState,
  action: Action,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) await recordRefusal(deps, state, action, error, [error.code]);
    throw error;
  }
}

/**
 * Asks the policy about `action` on `ctx.state.resource` and enforces the answer (ARCHITECTURE.md
 * order); the handler runs only on an allow, with the fields to redact in `ctx.state.redact`.
 * Every refusal — deny, step-up challenge, no decision, PDP failure — is audited before it is thrown.
 * `known`: the resource was already decided visible (an update's result), see {@link enforce}.
 */
export function authorize(
  deps: AuthorizeDeps,
  action: Action,
  { known = false }: { readonly known?: boolean } = {},
): Middleware<AuthorizedState> {
  const { authorizer, now, onDecision } = deps;
  return async function authorize(ctx, next) {
    const { claims, resource } = ctx.state;
    if (claims === undefined || resource === undefined)
      throw new Error(`authorize(${action}) ran without claims or resource`);
    ctx.state.action = action;
    let decision: Decision | undefined;
    try {
      const result = await authorizer.decide(
        policyInput(claims, action, resource, requestFacts(ctx.state, now)),
      );
      ctx.state.provenance = { decisionId: result.decisionId, revision: result.revision };
      decision = result.decision;
      ctx.state.redact = enforce(decision, known);
      onDecision?.(action, 'allow', 'none');
    } catch (error) {
      if (error instanceof ApiError)
        await recordRefusal(deps, ctx.state, action, error, reasonCodes(decision, error));
      throw error;
    }
    await next();
  };
}
