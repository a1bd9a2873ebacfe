import { parseRfc3339 } from '../builtins/rfc3339.js';
import type { Decision, ListFilterClause, Reason, StepUp } from './policy.js';
import { PolicyNoDecisionError } from '../errors.js';

/** What every check below throws on a malformed decision (fail closed). */
export { PolicyNoDecisionError };
import { isJsonObject } from '../json-object.js';

/**
 * Strict checks of what the policy returned, fail-closed: anything that is not exactly the contract's
 * shape is a {@link PolicyNoDecisionError} (the service answers `403 policy_no_decision`), never a
 * guess. `allow`, `visible`, `reasons` and `redact` are all required — a missing `visible` has no safe
 * default (`true` would reveal the resource, `false` would turn a policy bug into a quiet 404).
 * Unknown keys of a decision or a reason are dropped; an unknown key in a list-filter clause is
 * refused, since a restriction the store does not apply would widen the result.
 */

const CLAUSE_KEYS = new Set([
  'owner',
  'department',
  'currency',
  'created_at_gte',
  'amount_minor_lte',
  'category_not_in',
]);

/** A decision object of `verdict/authz/decision`, checked and copied. */
export function toDecision(value: unknown, entrypoint: string, at = 'decision'): Decision {
  const fail = (problem: string): never => {
    throw new PolicyNoDecisionError(entrypoint, `${at}${problem}`);
  };
  if (value === undefined) return fail(' is undefined');
  if (!isJsonObject(value)) return fail(' is not an object');
  const { allow, visible, reasons, redact, step_up: stepUp } = value;
  if (typeof allow !== 'boolean') return fail('.allow is not a boolean');
  if (typeof visible !== 'boolean') return fail('.visible is not a boolean');
  if (!Array.isArray(reasons)) return fail('.reasons is not an array');
  if (!Array.isArray(redact)) return fail('.redact is not an array');
  const checkedReasons = reasons.map((reason: unknown, i) => toReason(reason, `.reasons[${i}]`, fail));
  const checkedRedact = redact.map((path: unknown, i) =>
    typeof path === 'string' && path !== '' ? path : fail(`.redact[${i}] is not a non-empty string`),
  );
  const decision: Decision = { allow, visible, reasons: checkedReasons, redact: checkedRedact };
  return stepUp === undefined ? decision : { ...decision, step_up: toStepUp(stepUp, fail) };
}

/** The `decisions` of `verdict/authz/batch`: one valid decision per resource, in order. */
export function toBatchDecisions(value: unknown, entrypoint: string, expected: number): Decision[] {
  if (value === undefined) throw new PolicyNoDecisionError(entrypoint, 'batch is undefined');
  if (!isJsonObject(value) || !Array.isArray(value.decisions)) {
    throw new PolicyNoDecisionError(entrypoint, 'batch.decisions is not an array');
  }
  const decisions: unknown[] = value.decisions;
  if (decisions.length !== expected) {
    throw new PolicyNoDecisionError(entrypoint, `${decisions.length} decisions for ${expected} resources`);
  }
  return decisions.map((decision, i) => toDecision(decision, entrypoint, `decisions[${i}]`));
}

/** The `any_of` clauses of `verdict/authz/list_filter`. */
export function toListFilter(value: unknown, entrypoint: string): ListFilterClause[] {
  if (value === undefined) throw new PolicyNoDecisionError(entrypoint, 'list filter is undefined');
  if (!isJsonObject(value) || !Array.isArray(value.any_of)) {
    throw new PolicyNoDecisionError(entrypoint, 'list filter any_of is not an array');
  }
  const clauses: unknown[] = value.any_of;
  return clauses.map((clause, i) =>
    toClause(clause, (problem) => {
      throw new PolicyNoDecisionError(entrypoint, `any_of[${i}]${problem}`);
    }),
  );
}

type Fail = (problem: string) => never;

function toReason(value: unknown, at: string, fail: Fail): Reason {
  if (!isJsonObject(value)) return fail(`${at} is not an object`);
  const { code, message, scope } = value;
  if (typeof code !== 'string' || code === '') return fail(`${at}.code is not a non-empty string`);
  if (typeof message !== 'string') return fail(`${at}.message is not a string`);
  if (scope === undefined) return { code, message };
  if (typeof scope !== 'string' || scope === '') return fail(`${at}.scope is not a non-empty string`);
  return { code, message, scope };
}

function toStepUp(value: unknown, fail: Fail): StepUp {
  if (!isJsonObject(value)) return fail('.step_up is not an object');
  const { acr_values: acrValues, max_age: maxAge } = value;
  if (typeof acrValues !== 'string' || acrValues === '')
    return fail('.step_up.acr_values is not a non-empty string');
  if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0) {
    return fail('.step_up.max_age is not a non-negative integer');
  }
  return { acr_values: acrValues, max_age: maxAge };
}

function toClause(value: unknown, fail: Fail): ListFilterClause {
  if (!isJsonObject(value)) return fail(' is not an object');
  const unknown = Object.keys(value).filter((key) => !CLAUSE_KEYS.has(key));
  if (unknown.length > 0) return fail(` has unknown fields ${unknown.join(', ')}`);
  const clause: Record<string, unknown> = {};
  for (const key of ['owner', 'department', 'currency'] as const) {
    if (value[key] === undefined) continue;
    if (typeof value[key] !== 'string') return fail(`.${key} is not a string`);
    clause[key] = value[key];
  }
  const {
    created_at_gte: createdAtGte,
    amount_minor_lte: amountMinorLte,
    category_not_in: categoryNotIn,
  } = value;
  if (createdAtGte !== undefined) {
    if (typeof createdAtGte !== 'string' || typeof parseRfc3339(createdAtGte) === 'string') {
      return fail('.created_at_gte is not an RFC 3339 timestamp');
    }
    clause.created_at_gte = createdAtGte;
  }
  if (amountMinorLte !== undefined) {
    if (typeof amountMinorLte !== 'number' || !Number.isSafeInteger(amountMinorLte)) {
      return fail('.amount_minor_lte is not an integer');
    }
    clause.amount_minor_lte = amountMinorLte;
  }
  if (categoryNotIn !== undefined) {
    if (!Array.isArray(categoryNotIn) || !categoryNotIn.every((c: unknown) => typeof c === 'string')) {
      return fail('.category_not_in is not an array of strings');
    }
    clause.category_not_in = [...categoryNotIn];
  }
  return clause;
}
