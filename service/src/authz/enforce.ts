import {
  ForbiddenError,
  InsufficientScopeError,
  NotFoundError,
  PolicyNoDecisionError,
  StepUpRequiredError,
} from '../errors.js';
import type { Decision } from './decision.js';

/** Reason codes that a fresh, stronger user authentication can cure. */
export const STEP_UP_REASON_CODES: ReadonlySet<string> = new Set(['step_up_required']);

/**
 * Enforces a decision in ARCHITECTURE.md's order and returns the fields to redact:
 * allow → redact; not visible → 404; only step-up reasons → 401 (RFC 9470);
 * insufficient_scope → 403 with the scope; otherwise 403 with the reason codes.
 * `known`: the caller was already allowed to see the resource (the result of an update), so a
 * result it may not see is refused with its reasons rather than hidden.
 */
export function enforce(decision: Decision, known = false): readonly string[] {
  if (decision.allow) return decision.redact;
  if (!decision.visible && !known) throw new NotFoundError();
  const codes = decision.reasons.map((reason) => reason.code);
  if (codes.length > 0 && codes.every((code) => STEP_UP_REASON_CODES.has(code))) {
    if (decision.step_up === undefined) throw new PolicyNoDecisionError('step-up reason without step_up');
    throw new StepUpRequiredError(decision.step_up.acr_values, decision.step_up.max_age, codes);
  }
  const scope = decision.reasons.find((reason) => reason.code === 'insufficient_scope')?.scope;
  if (scope !== undefined) throw new InsufficientScopeError(scope);
  throw new ForbiddenError(codes);
}

/** Sets every dotted path in `paths` to null in a copy of `value`, where the path exists. */
export function redact<T extends object>(value: T, paths: readonly string[]): T {
  if (paths.length === 0) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const path of paths) {
    const parts = path.split('.');
    const last = parts.pop();
    let target: unknown = copy;
    for (const part of parts) {
      target =
        typeof target === 'object' && target !== null ? (target as Record<string, unknown>)[part] : undefined;
    }
    if (last !== undefined && typeof target === 'object' && target !== null && last in target) {
      (target as Record<string, unknown>)[last] = null;
    }
  }
  return copy as T;
}
