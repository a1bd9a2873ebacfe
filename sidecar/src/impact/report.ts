import type { CandidateInfo } from './candidate.js';
import { CHANGE_KINDS, type ChangeKind, type OutcomeSummary } from './change.js';

/**
 * The JSON report of `npm run policy:impact --format json` (documented in policies/README.md,
 * "Impact report"): what was replayed, against what, and every decision that changes, grouped by
 * action and reason with counts and examples. Stable: `version` changes when a field does.
 */
export interface ImpactReport {
  readonly format: 'verdict-policy-impact';
  readonly version: 1;
  readonly generated_at: string;
  readonly candidate: CandidateInfo;
  readonly log: LogSummary;
  readonly summary: ImpactSummary;
  /** Decisions the candidate answers differently, by action and reason, largest group first. */
  readonly changes: readonly ImpactGroup[];
  /** Decisions that could not be replayed (masked fields the candidate reads, unreadable lines), by action. */
  readonly cannot_replay: readonly ImpactGroup[];
  readonly acknowledgements: AcknowledgementSummary | null;
  /** 0: nothing changes (or every change is acknowledged); 1: something unacknowledged changes. */
  readonly exit_code: 0 | 1;
}

/** What was read from the decision log. */
export interface LogSummary {
  readonly path: string;
  /** Only events at or after this time were replayed (`--since`), or `null`. */
  readonly since: string | null;
  readonly lines: number;
  /** Decision events replayed. */
  readonly events: number;
  /** Lines not replayed and why: `not_a_decision` (another kind of line), `before_since`, `shadow`. */
  readonly skipped: Readonly<Record<string, number>>;
  readonly first_timestamp: string | null;
  readonly last_timestamp: string | null;
  /** The bundle revisions that made the recorded decisions, with their event counts. */
  readonly revisions: Readonly<Record<string, number>>;
}

/** The totals; a batch counts one decision per resource. */
export interface ImpactSummary {
  readonly decisions: number;
  readonly unchanged: number;
  readonly changed: number;
  readonly cannot_replay: number;
  /** Changed or unreplayable decisions covered by the acknowledgement file. */
  readonly acknowledged: number;
  readonly unacknowledged: number;
  /** Changed decisions by kind of change (one decision can show several kinds). */
  readonly kinds: Readonly<Record<ChangeKind, number>>;
  readonly elapsed_ms: number;
  readonly events_per_second: number;
}

/** Decisions of one action filed under one reason. */
export interface ImpactGroup {
  readonly action: string;
  /** A reason code, or a kind of change in parentheses (`(redaction)`, `(filter)`, `(cannot_replay)`, …). */
  readonly reason: string;
  readonly count: number;
  readonly acknowledged: number;
  readonly kinds: Readonly<Partial<Record<ChangeKind, number>>>;
  /** The first few, in log order. */
  readonly examples: readonly ImpactExample[];
}

/** One decision of a group. */
export interface ImpactExample {
  /** The decision id; `<id>#<n>` for element n of a batch; `line:<n>` for an unreadable line. */
  readonly decision_id: string;
  readonly item: number | null;
  /** The token's `sub` (else its `client_id`), or `null`. */
  readonly subject: string | null;
  /** The resource's `id`, or `null` (list filters, collections). */
  readonly resource_id: string | null;
  readonly timestamp: string | null;
  /** The revision that made the recorded decision. */
  readonly recorded_revision: string | null;
  readonly kinds: readonly ChangeKind[];
  /** The recorded decision, or `null` for an unreadable line. */
  readonly before: OutcomeSummary | null;
  /** The candidate's decision, or `null` when it could not be replayed. */
  readonly after: OutcomeSummary | null;
  /** For `cannot_replay`: the masked input fields (JSON pointers) the answer depends on. */
  readonly masked: readonly string[];
  readonly acknowledged: boolean;
}

/** The acknowledgement file and what it did. */
export interface AcknowledgementSummary {
  readonly path: string;
  readonly entries: number;
  /** Entries that acknowledged nothing. */
  readonly unused: readonly string[];
}

/** A finding as {@link GroupCollector} files it. */
export interface FiledDecision {
  readonly action: string;
  readonly reasons: readonly string[];
  readonly kinds: readonly ChangeKind[];
  readonly example: ImpactExample;
}

/** Counts decisions into groups by action and reason, keeping the first `examples` of each. */
export class GroupCollector {
  readonly #groups = new Map<string, MutableGroup>();
  readonly #examples: number;

  constructor(examples: number) {
    this.#examples = examples;
  }

  add(filed: FiledDecision): void {
    for (const reason of filed.reasons) {
      const key = `${filed.action}\u0000${reason}`;
      let group = this.#groups.get(key);
      if (group === undefined) {
        group = { action: filed.action, reason, count: 0, acknowledged: 0, kinds: {}, examples: [] };
        this.#groups.set(key, group);
      }
      group.count += 1;
      if (filed.example.acknowledged) group.acknowledged += 1;
      for (const kind of filed.kinds) group.kinds[kind] = (group.kinds[kind] ?? 0) + 1;
      if (group.examples.length < this.#examples) group.examples.push(filed.example);
    }
  }

  /** The groups, largest first, then by action and reason. */
  groups(): ImpactGroup[] {
    return [...this.#groups.values()]
      .map((group) => ({ ...group, kinds: orderedKinds(group.kinds) }))
      .sort(
        (a, b) => b.count - a.count || a.action.localeCompare(b.action) || a.reason.localeCompare(b.reason),
      );
  }
}

interface MutableGroup {
  action: string;
  reason: string;
  count: number;
  acknowledged: number;
  kinds: Partial<Record<ChangeKind, number>>;
  examples: ImpactExample[];
}

function orderedKinds(kinds: Partial<Record<ChangeKind, number>>): Partial<Record<ChangeKind, number>> {
  const ordered: Partial<Record<ChangeKind, number>> = {};
  for (const kind of CHANGE_KINDS) if (kinds[kind] !== undefined) ordered[kind] = kinds[kind];
  return ordered;
}

/** Every kind at 0. */
export function zeroKinds(): Record<ChangeKind, number> {
  return Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, 0])) as Record<ChangeKind, number>;
}
