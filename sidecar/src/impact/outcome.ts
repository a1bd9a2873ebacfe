import { toBatchDecisions, toDecision, toListFilter } from '../contract/decision-shape.js';
import { ENTRYPOINTS } from '../contract/entrypoints.js';
import type { Decision, ListFilterClause } from '../contract/policy.js';
import { isJsonObject } from '../json-object.js';

/**
 * What the service makes of one evaluation, the unit an impact analysis compares: a decision, a
 * batch of them, a list filter, another entrypoint's raw value, no usable decision (`403
 * policy_no_decision`), or an engine error (`503 authorization_unavailable`).
 */
export type Outcome =
  | { readonly kind: 'decision'; readonly decision: Decision }
  | { readonly kind: 'batch'; readonly decisions: readonly Decision[] }
  | { readonly kind: 'filter'; readonly clauses: readonly ListFilterClause[] }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'no_decision' }
  | { readonly kind: 'error'; readonly code: string };

/** The kinds of {@link Outcome}. */
export type OutcomeKind = Outcome['kind'];

/**
 * The outcome of `raw` (an entrypoint's value, `undefined` when the rule was undefined) under the
 * contract's strict checks, as the engine's `decide`, `decideBatch` and `listFilter` apply them.
 * `resources` is the number of resources a batch was asked about.
 */
export function outcomeOf(path: string, raw: unknown, resources: number): Outcome {
  try {
    if (path === ENTRYPOINTS.decision) return { kind: 'decision', decision: toDecision(raw, path) };
    if (path === ENTRYPOINTS.batch)
      return { kind: 'batch', decisions: toBatchDecisions(raw, path, resources) };
    if (path === ENTRYPOINTS.listFilter) return { kind: 'filter', clauses: toListFilter(raw, path) };
  } catch {
    return { kind: 'no_decision' };
  }
  return raw === undefined ? { kind: 'no_decision' } : { kind: 'value', value: raw };
}

/** How many resources a batch input holds (0 for anything else). */
export function resourceCount(input: unknown): number {
  return isJsonObject(input) && Array.isArray(input.resources) ? input.resources.length : 0;
}

/** JSON text with object keys sorted, so that equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, node: unknown) => {
    if (!isJsonObject(node)) return node;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(node).sort()) {
      Object.defineProperty(sorted, key, {
        value: node[key],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return sorted;
  });
}
