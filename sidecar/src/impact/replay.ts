import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';
import { isJsonObject } from '../json-object.js';
import {
  compareOutcomes,
  summarizeItem,
  type Change,
  type ItemOutcome,
  type OutcomeSummary,
} from './change.js';
import { ABSENT, pointerBelow, withValue } from './json-pointer.js';
import { canonicalJson, outcomeOf, resourceCount, type Outcome } from './outcome.js';

/** A decision-log event as the replay reads it (the fields of `DecisionLogEvent` it needs). */
export interface RecordedEvent {
  readonly decision_id: string;
  readonly path: string;
  readonly input?: unknown;
  readonly result?: unknown;
  readonly timestamp?: unknown;
  readonly bundles?: unknown;
  readonly erased?: unknown;
  readonly error?: unknown;
}

/** One decision of an event that the candidate does not answer as recorded, or cannot be replayed. */
export type Finding =
  | {
      readonly status: 'changed';
      /** The decision id, with `#<index>` for one element of a batch. */
      readonly id: string;
      readonly index: number | undefined;
      readonly change: Change;
    }
  | {
      readonly status: 'cannot_replay';
      readonly id: string;
      readonly index: number | undefined;
      readonly recorded: OutcomeSummary;
      /** The masked input fields the candidate's answer depends on. */
      readonly masked: readonly string[];
    };

/** What replaying one event gave: how many decisions it held, and those that differ. */
export interface EventReplay {
  /** Decisions compared: 1, or a batch's number of resources (at least 1). */
  readonly decisions: number;
  readonly findings: readonly Finding[];
}

/** The values masked input fields are given to see whether the candidate reads them. */
export const SENTINELS = { string: 'verdict-impact-masked', number: 0 } as const;

/** At most this many of the input's own values are tried in a masked field (see {@link replayEvent}). */
export const MAX_VALUE_PROBES = 64;

/**
 * Replays one recorded event on `engine`: the recorded input (its `environment.now` included) on the
 * same entrypoint, the answer compared with the recorded one, per element for a batch. Result
 * fields that masking erased are erased from the candidate's answer too.
 *
 * When masking erased input fields, the candidate is asked with them absent (as recorded) and set
 * to each of {@link SENTINELS}; a decision whose answer differs between these depends on what was
 * masked and is reported as `cannot_replay`, never guessed. A decision that still differs from the
 * recorded one is asked again with the masked fields set to each value found elsewhere in the
 * input (at most {@link MAX_VALUE_PROBES}), so that a field compared with another one (an owner
 * with the caller) is not taken for a policy change: it is `cannot_replay` too if any answer moves.
 */
export function replayEvent(engine: Engine, event: RecordedEvent): EventReplay {
  const { path, input } = event;
  const resources = resourceCount(input);
  const decisions = path === 'verdict/authz/batch' ? Math.max(resources, 1) : 1;
  const erased = Array.isArray(event.erased) ? event.erased.filter((p) => typeof p === 'string') : [];
  const inputPaths: string[][] = [];
  const resultPaths: string[][] = [];
  const maskedPointers: string[] = [];
  for (const pointer of erased) {
    const inInput = pointerBelow(pointer, 'input');
    const inResult = inInput === undefined ? pointerBelow(pointer, 'result') : undefined;
    if (inInput !== undefined) {
      inputPaths.push(inInput);
      maskedPointers.push(pointer);
    } else if (inResult !== undefined) resultPaths.push(inResult);
    else if (pointer === '/input' || pointer.startsWith('/input/'))
      return unreplayable(event, decisions, resources, [pointer]);
  }
  const recorded = recordedOutcome(event, resources);
  if (inputPaths.length === 0 && resultPaths.length === 0 && event.error === undefined) {
    // Fast path: an identical raw answer is an identical decision.
    const raw = evaluateRaw(engine, path, input);
    if (!(raw instanceof EngineError) && JSON.stringify(raw) === JSON.stringify(event.result))
      return { decisions, findings: [] };
    return { decisions, findings: compare(event, recorded, outcomeFromRaw(path, raw, resources, [])) };
  }
  const answer = (variant: unknown): Outcome =>
    outcomeFromRaw(path, evaluateRaw(engine, path, variant), resources, resultPaths);
  const replayed = answer(input);
  if (inputPaths.length === 0) return { decisions, findings: compare(event, recorded, replayed) };

  const uncertain = new Set<number>();
  const probe = (value: unknown): void => {
    let variant = input;
    for (const segments of inputPaths) variant = withValue(variant, segments, value);
    markDifferences(replayed, answer(variant), uncertain, decisions);
  };
  probe(SENTINELS.string);
  probe(SENTINELS.number);
  const changed = (): Finding[] =>
    compare(event, recorded, replayed).filter((f) => !uncertain.has(f.index ?? 0));
  let findings = changed();
  if (findings.length > 0) {
    for (const value of valuesOf(input, MAX_VALUE_PROBES)) {
      probe(value);
      if (findings.every((f) => uncertain.has(f.index ?? 0))) break;
    }
    findings = changed();
  }
  for (const index of [...uncertain].sort((a, b) => a - b)) {
    const item = itemAt(recorded, index);
    findings.push({
      status: 'cannot_replay',
      id: idOf(event, recorded, index),
      index: recorded.kind === 'batch' ? index : undefined,
      recorded: summarizeItem(item),
      masked: maskedPointers,
    });
  }
  findings.sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return { decisions, findings };
}

/** Every decision of an event reported as `cannot_replay` (its masked fields cannot be put back). */
function unreplayable(
  event: RecordedEvent,
  decisions: number,
  resources: number,
  masked: string[],
): EventReplay {
  const recorded = recordedOutcome(event, resources);
  const findings: Finding[] = [];
  for (let index = 0; index < (recorded.kind === 'batch' ? decisions : 1); index++) {
    findings.push({
      status: 'cannot_replay',
      id: idOf(event, recorded, index),
      index: recorded.kind === 'batch' ? index : undefined,
      recorded: summarizeItem(itemAt(recorded, index)),
      masked,
    });
  }
  return { decisions, findings };
}

function evaluateRaw(engine: Engine, path: string, input: unknown): unknown {
  try {
    return engine.evaluate(path, input);
  } catch (error) {
    if (error instanceof EngineError) return error;
    throw error;
  }
}

function outcomeFromRaw(
  path: string,
  raw: unknown,
  resources: number,
  resultPaths: readonly (readonly string[])[],
): Outcome {
  if (raw instanceof EngineError) return { kind: 'error', code: raw.code };
  let masked = raw;
  for (const segments of resultPaths) masked = withValue(masked, segments, ABSENT);
  return outcomeOf(path, masked, resources);
}

function recordedOutcome(event: RecordedEvent, resources: number): Outcome {
  if (event.error !== undefined) {
    const code =
      isJsonObject(event.error) && typeof event.error.code === 'string' ? event.error.code : 'error';
    return { kind: 'error', code };
  }
  return outcomeOf(event.path, event.result, resources);
}

function itemAt(outcome: Outcome, index: number): ItemOutcome {
  if (outcome.kind !== 'batch') return outcome;
  const decision = outcome.decisions[index];
  return decision === undefined ? { kind: 'no_decision' } : { kind: 'decision', decision };
}

function idOf(event: RecordedEvent, outcome: Outcome, index: number): string {
  return outcome.kind === 'batch' ? `${event.decision_id}#${index}` : event.decision_id;
}

/** The recorded and replayed outcomes compared ({@link compareOutcomes}), as findings. */
function compare(event: RecordedEvent, recorded: Outcome, replayed: Outcome): Finding[] {
  return compareOutcomes(recorded, replayed).map(({ index, change }) => ({
    status: 'changed',
    id: index === undefined ? event.decision_id : `${event.decision_id}#${index}`,
    index,
    change,
  }));
}

/** Adds to `uncertain` the decisions (batch indexes, or 0) on which `a` and `b` differ. */
function markDifferences(a: Outcome, b: Outcome, uncertain: Set<number>, decisions: number): void {
  if (a.kind === 'batch' && b.kind === 'batch') {
    a.decisions.forEach((decision, index) => {
      if (canonicalJson(decision) !== canonicalJson(b.decisions[index])) uncertain.add(index);
    });
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) for (let i = 0; i < decisions; i++) uncertain.add(i);
}

/** Up to `limit` distinct strings and numbers of `value`, in the order found (keys are not included). */
function valuesOf(value: unknown, limit: number): (string | number)[] {
  const found = new Set<string | number>();
  const visit = (node: unknown): void => {
    if (found.size >= limit) return;
    if (typeof node === 'string' || typeof node === 'number') {
      if (node !== SENTINELS.string && node !== SENTINELS.number) found.add(node);
    } else if (Array.isArray(node)) for (const child of node) visit(child);
    else if (isJsonObject(node)) for (const child of Object.values(node)) visit(child);
  };
  visit(value);
  return [...found];
}
