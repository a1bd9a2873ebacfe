import type { Decision, ListFilterClause, Reason } from '../contract/policy.js';
import { canonicalJson, type Outcome } from './outcome.js';

/** How a replayed decision differs from the recorded one. */
export type ChangeKind =
  | 'allow_to_deny'
  | 'deny_to_allow'
  | 'visibility'
  | 'redaction'
  | 'step_up'
  | 'reasons'
  | 'messages'
  | 'filter'
  | 'value'
  | 'outcome';

/** Every {@link ChangeKind}, in the order reports list them. */
export const CHANGE_KINDS: readonly ChangeKind[] = [
  'allow_to_deny',
  'deny_to_allow',
  'visibility',
  'redaction',
  'step_up',
  'reasons',
  'messages',
  'filter',
  'value',
  'outcome',
];

/**
 * One outcome as a report shows it: a decision with its reasons as `code` (or `code scope` for
 * `insufficient_scope`), a list filter's clauses, a raw value, or `no_decision` / `error`.
 */
export type OutcomeSummary =
  | {
      readonly outcome: 'decision';
      readonly allow: boolean;
      readonly visible: boolean;
      readonly reasons: readonly string[];
      readonly redact: readonly string[];
      readonly step_up?: { readonly acr_values: string; readonly max_age: number };
    }
  | { readonly outcome: 'filter'; readonly any_of: readonly ListFilterClause[] }
  | { readonly outcome: 'value'; readonly value: unknown }
  | { readonly outcome: 'no_decision' }
  | { readonly outcome: 'error'; readonly code: string };

/** What changed between a recorded outcome and the candidate's. */
export interface Change {
  readonly kinds: readonly ChangeKind[];
  /**
   * The reason codes the change is filed under: those the candidate adds; when it adds none, those
   * it removes; when the codes are equal, those whose message changed; otherwise the kind of change
   * in parentheses (`(visibility)`, `(redaction)`, `(step_up)`, `(filter)`, `(value)`, and for a
   * different kind of outcome `(no_decision)`, `(error)` or `(from_<kind>)`).
   */
  readonly reasons: readonly string[];
  readonly before: OutcomeSummary;
  readonly after: OutcomeSummary;
}

/** An outcome that is one item (not a batch): what {@link compareItems} compares. */
export type ItemOutcome = Exclude<Outcome, { kind: 'batch' }>;

const reasonKey = (reason: Reason): string =>
  reason.scope === undefined ? reason.code : `${reason.code} ${reason.scope}`;

const sortedUnique = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** The report form of an item outcome. */
export function summarizeItem(outcome: ItemOutcome): OutcomeSummary {
  switch (outcome.kind) {
    case 'decision':
      return summarizeDecision(outcome.decision);
    case 'filter':
      return { outcome: 'filter', any_of: outcome.clauses };
    case 'value':
      return { outcome: 'value', value: outcome.value };
    case 'no_decision':
      return { outcome: 'no_decision' };
    case 'error':
      return { outcome: 'error', code: outcome.code };
  }
}

function summarizeDecision(decision: Decision): OutcomeSummary {
  return {
    outcome: 'decision',
    allow: decision.allow,
    visible: decision.visible,
    reasons: sortedUnique(decision.reasons.map(reasonKey)),
    redact: sortedUnique(decision.redact),
    ...(decision.step_up === undefined ? {} : { step_up: decision.step_up }),
  };
}

/** Elements of `a` not in `b`. */
const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const other = new Set(b);
  return a.filter((x) => !other.has(x));
};

const codeOf = (key: string): string => key.split(' ', 1)[0] ?? key;

/** One decision that differs: its index in a batch (`undefined` for a single outcome) and how. */
export interface IndexedChange {
  readonly index: number | undefined;
  readonly change: Change;
}

/**
 * Two outcomes of one input compared, as the impact analysis and the shadow evaluator both need
 * it: per element when both are batches, else whole (a batch against anything else counts as no
 * usable decision). Empty when the service would answer the same.
 */
export function compareOutcomes(before: Outcome, after: Outcome): IndexedChange[] {
  if (before.kind === 'batch' && after.kind === 'batch') {
    const changes: IndexedChange[] = [];
    before.decisions.forEach((decision, index) => {
      const other = after.decisions[index];
      const change = compareItems(
        { kind: 'decision', decision },
        other === undefined ? { kind: 'no_decision' } : { kind: 'decision', decision: other },
      );
      if (change !== undefined) changes.push({ index, change });
    });
    return changes;
  }
  const change = compareItems(asItem(before), asItem(after));
  return change === undefined ? [] : [{ index: undefined, change }];
}

/** A batch that is compared whole (the other side is no batch) counts as no usable decision. */
function asItem(outcome: Outcome): ItemOutcome {
  return outcome.kind === 'batch' ? { kind: 'no_decision' } : outcome;
}

/** The change from `before` to `after`, or `undefined` when the service would answer the same. */
export function compareItems(before: ItemOutcome, after: ItemOutcome): Change | undefined {
  if (before.kind === 'decision' && after.kind === 'decision')
    return compareDecisions(before.decision, after.decision);
  if (before.kind !== after.kind) {
    const reason = after.kind === 'decision' ? `(from_${before.kind})` : `(${after.kind})`;
    return change(['outcome'], [reason], before, after);
  }
  if (before.kind === 'filter' && after.kind === 'filter') {
    const a = before.clauses.map(clauseKey).sort();
    const b = after.clauses.map(clauseKey).sort();
    if (canonicalJson(sortedUnique(a)) === canonicalJson(sortedUnique(b))) return undefined;
    return change(['filter'], ['(filter)'], before, after);
  }
  if (before.kind === 'value' && after.kind === 'value') {
    if (canonicalJson(before.value) === canonicalJson(after.value)) return undefined;
    return change(['value'], ['(value)'], before, after);
  }
  if (before.kind === 'error' && after.kind === 'error') {
    return before.code === after.code ? undefined : change(['outcome'], ['(error)'], before, after);
  }
  return undefined;
}

/** A clause in a form where field order and the order of `category_not_in` do not matter. */
function clauseKey(clause: ListFilterClause): string {
  const categories = clause.category_not_in;
  return canonicalJson(
    categories === undefined ? clause : { ...clause, category_not_in: [...categories].sort() },
  );
}

function compareDecisions(before: Decision, after: Decision): Change | undefined {
  const a = summarizeDecision(before);
  const b = summarizeDecision(after);
  if (a.outcome !== 'decision' || b.outcome !== 'decision') return undefined;
  const kinds: ChangeKind[] = [];
  if (a.allow !== b.allow) kinds.push(a.allow ? 'allow_to_deny' : 'deny_to_allow');
  if (a.visible !== b.visible) kinds.push('visibility');
  if (canonicalJson(a.redact) !== canonicalJson(b.redact)) kinds.push('redaction');
  if (canonicalJson(a.step_up ?? null) !== canonicalJson(b.step_up ?? null)) kinds.push('step_up');
  const added = minus(b.reasons, a.reasons);
  const removed = minus(a.reasons, b.reasons);
  if (added.length > 0 || removed.length > 0) kinds.push('reasons');
  const messages = changedMessages(before.reasons, after.reasons);
  if (added.length === 0 && removed.length === 0 && messages.length > 0) kinds.push('messages');
  if (kinds.length === 0) return undefined;
  let reasons: string[];
  if (added.length > 0) reasons = sortedUnique(added.map(codeOf));
  else if (removed.length > 0) reasons = sortedUnique(removed.map(codeOf));
  else if (messages.length > 0) reasons = messages;
  else reasons = kinds.map((kind) => `(${kind})`);
  return { kinds, reasons, before: a, after: b };
}

/** Codes present on both sides whose message differs. */
function changedMessages(before: readonly Reason[], after: readonly Reason[]): string[] {
  const messages = new Map(before.map((r) => [reasonKey(r), r.message]));
  return sortedUnique(
    after
      .filter((r) => messages.has(reasonKey(r)) && messages.get(reasonKey(r)) !== r.message)
      .map((r) => r.code),
  );
}

function change(kinds: ChangeKind[], reasons: string[], before: ItemOutcome, after: ItemOutcome): Change {
  return { kinds, reasons, before: summarizeItem(before), after: summarizeItem(after) };
}
