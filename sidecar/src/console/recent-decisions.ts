import type { DecisionLogEvent } from '../decision-log/decision-logger.js';
import { isJsonObject } from '../json-object.js';

/** How a logged decision ended, as the console filters it. */
export type ConsoleOutcome = 'allow' | 'deny' | 'error' | 'other';

/** One decision-log event as the console lists it: the event (already masked) and what is read from it. */
export interface RecentDecision {
  /** Order of arrival, so a client can ask for what is newer. */
  readonly seq: number;
  readonly decision_id: string;
  readonly path: string;
  readonly timestamp: string;
  readonly revision: string | null;
  /** `input.action`, or `null`. */
  readonly action: string | null;
  /** The token's `sub` (else its `client_id`), or `null`. */
  readonly subject: string | null;
  /** `input.resource.id`, the first of a batch's `resources`, or `null`. */
  readonly resource_id: string | null;
  readonly outcome: ConsoleOutcome;
  /** Reason codes of the decision; of every element for a batch. */
  readonly reasons: readonly string[];
  /** A batch's size, else `null`. */
  readonly items: number | null;
  /**
   * On a shadow disagreement (an event with a `shadow` object), what the shadow bundle answered
   * instead: its revision, outcome and reasons, and the kinds of change; `null` on every other event.
   */
  readonly shadow: ShadowDisagreement | null;
  readonly event: DecisionLogEvent;
}

/** The shadow side of a disagreement event; the event's own `result` is the enforced, active one. */
export interface ShadowDisagreement {
  readonly revision: string | null;
  readonly outcome: ConsoleOutcome;
  readonly reasons: readonly string[];
  readonly kinds: readonly string[];
}

/** What {@link RecentDecisions.list} filters by; an absent field matches everything. */
export interface DecisionFilter {
  readonly action?: string | undefined;
  readonly outcome?: ConsoleOutcome | undefined;
  readonly reason?: string | undefined;
  /** Matches `sub` or `client_id` exactly. */
  readonly subject?: string | undefined;
  /** Only shadow disagreements (`true`), only active decisions (`false`), or both. */
  readonly shadow?: boolean | undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function reasonCodes(decision: unknown): string[] {
  if (!isJsonObject(decision) || !Array.isArray(decision.reasons)) return [];
  return decision.reasons.flatMap((reason: unknown) =>
    isJsonObject(reason) && typeof reason.code === 'string' ? [reason.code] : [],
  );
}

/**
 * The shadow side of a disagreement event: the shadow evaluator logs `shadow: {revision, result?,
 * error?, kinds}` beside the active answer. Read without relying on more of its shape than that.
 */
function shadowOf(event: DecisionLogEvent): ShadowDisagreement | null {
  const shadow: unknown = (event as unknown as Record<string, unknown>).shadow;
  if (!isJsonObject(shadow)) return null;
  const { outcome, reasons } = judge(shadow.result, shadow.error);
  const kinds = Array.isArray(shadow.kinds)
    ? shadow.kinds.filter((kind: unknown): kind is string => typeof kind === 'string')
    : [];
  return { revision: text(shadow.revision), outcome, reasons, kinds };
}

/** The outcome and reasons of a decision, a batch, or another entrypoint's value. */
function judge(
  result: unknown,
  error: unknown,
): { outcome: ConsoleOutcome; reasons: string[]; items: number | null } {
  if (error !== undefined || result === undefined) return { outcome: 'error', reasons: [], items: null };
  if (isJsonObject(result) && typeof result.allow === 'boolean')
    return { outcome: result.allow ? 'allow' : 'deny', reasons: reasonCodes(result), items: null };
  if (isJsonObject(result) && Array.isArray(result.decisions)) {
    const decisions: unknown[] = result.decisions;
    const allowed = decisions.every((d) => isJsonObject(d) && d.allow === true);
    const reasons = [...new Set(decisions.flatMap(reasonCodes))];
    return { outcome: allowed ? 'allow' : 'deny', reasons, items: decisions.length };
  }
  return { outcome: 'other', reasons: [], items: null };
}

function subjectOf(input: unknown): string | null {
  if (!isJsonObject(input) || !isJsonObject(input.subject) || !isJsonObject(input.subject.claims))
    return null;
  const { claims } = input.subject;
  return text(claims.sub) ?? text(claims.client_id);
}

function resourceOf(input: unknown): string | null {
  if (!isJsonObject(input)) return null;
  if (isJsonObject(input.resource)) return text(input.resource.id);
  if (Array.isArray(input.resources)) {
    const first: unknown = input.resources[0];
    return isJsonObject(first) ? text(first.id) : null;
  }
  return null;
}

function claimsOf(input: unknown): Record<string, unknown> | undefined {
  if (!isJsonObject(input) || !isJsonObject(input.subject) || !isJsonObject(input.subject.claims))
    return undefined;
  return input.subject.claims;
}

/** Reads the fields the console shows and filters by from one masked event. */
export function toRecentDecision(event: DecisionLogEvent, seq: number): RecentDecision {
  const revision = Object.values(event.bundles)[0]?.revision ?? null;
  const { input } = event;
  return {
    seq,
    decision_id: event.decision_id,
    path: event.path,
    timestamp: event.timestamp,
    revision,
    action: isJsonObject(input) ? text(input.action) : null,
    subject: subjectOf(input),
    resource_id: resourceOf(input),
    ...judge(event.result, event.error),
    shadow: shadowOf(event),
    event,
  };
}

/**
 * The last `capacity` decision-log events, in memory only (never written anywhere, gone on restart),
 * for the policy console. Fed by {@link DecisionLogger.subscribe}, so what it holds is masked exactly
 * as the decision log is (`DECISION_LOG_MASK` and the credential rules).
 */
export class RecentDecisions {
  readonly capacity: number;
  readonly #ring: (RecentDecision | undefined)[];
  #next = 0;
  #seq = 0;

  constructor(capacity = 1000) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be ≥ 1');
    this.capacity = capacity;
    this.#ring = new Array<RecentDecision | undefined>(capacity);
  }

  /** Keeps `event`, dropping the oldest when full. */
  add(event: DecisionLogEvent): void {
    this.#seq += 1;
    this.#ring[this.#next] = toRecentDecision(event, this.#seq);
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** How many are held. */
  get size(): number {
    return Math.min(this.#seq, this.capacity);
  }

  /** Newest first. */
  *#newestFirst(): Generator<RecentDecision> {
    for (let i = 1; i <= this.capacity; i += 1) {
      const item = this.#ring[(this.#next - i + this.capacity) % this.capacity];
      if (item === undefined) return;
      yield item;
    }
  }

  /** The held decisions matching `filter`, newest first: how many match and the first `limit`. */
  list(filter: DecisionFilter, limit: number): { matched: number; decisions: RecentDecision[] } {
    const decisions: RecentDecision[] = [];
    let matched = 0;
    for (const item of this.#newestFirst()) {
      if (!matches(item, filter)) continue;
      matched += 1;
      if (decisions.length < limit) decisions.push(item);
    }
    return { matched, decisions };
  }

  /** The held decision with this id (its shadow disagreement with `shadow`), or undefined. */
  get(decisionId: string, shadow = false): RecentDecision | undefined {
    for (const item of this.#newestFirst())
      if (item.decision_id === decisionId && (item.shadow !== null) === shadow) return item;
    return undefined;
  }

  /** The distinct actions, reasons and outcomes held, for the filter's choices. */
  facets(): { actions: string[]; reasons: string[] } {
    const actions = new Set<string>();
    const reasons = new Set<string>();
    for (const item of this.#newestFirst()) {
      if (item.action !== null) actions.add(item.action);
      for (const reason of item.reasons) reasons.add(reason);
    }
    return { actions: [...actions].sort(), reasons: [...reasons].sort() };
  }
}

function matches(item: RecentDecision, filter: DecisionFilter): boolean {
  if (filter.shadow !== undefined && (item.shadow !== null) !== filter.shadow) return false;
  if (filter.action !== undefined && item.action !== filter.action) return false;
  if (filter.outcome !== undefined && item.outcome !== filter.outcome) return false;
  if (filter.reason !== undefined && !item.reasons.includes(filter.reason)) return false;
  if (filter.subject !== undefined) {
    const claims = claimsOf(item.event.input);
    if (claims?.sub !== filter.subject && claims?.client_id !== filter.subject) return false;
  }
  return true;
}
