import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseRfc3339 } from '../builtins/rfc3339.js';
import { describe } from '../errors.js';
import { isJsonObject } from '../json-object.js';
import type { Acknowledgements } from './acknowledgements.js';
import type { Candidate } from './candidate.js';
import { ImpactError } from './errors.js';
import { replayEvent, type Finding, type RecordedEvent } from './replay.js';
import { GroupCollector, zeroKinds, type ImpactExample, type ImpactReport } from './report.js';

/** How an {@link ImpactAnalysis} replays and reports. */
export interface ImpactAnalysisOptions {
  readonly candidate: Candidate;
  readonly acknowledgements?: Acknowledgements | undefined;
  /** Where the acknowledgements came from, for the report. */
  readonly acknowledgementsPath?: string | undefined;
  /** RFC 3339: events recorded before it are skipped. */
  readonly since?: string | undefined;
  /** Examples kept per group (default 3). */
  readonly examples?: number | undefined;
  /** The clock of `generated_at` and the timing (default the wall clock). */
  readonly now?: () => Date;
}

/**
 * Replays decision-log lines against a candidate, one at a time, keeping only counts and a few
 * examples, so a log of any size streams through in constant memory. {@link analyzeImpact} feeds it
 * a file; a benchmark can feed it lines it holds in memory.
 */
export class ImpactAnalysis {
  readonly #options: ImpactAnalysisOptions;
  readonly #since: bigint | undefined;
  readonly #changes: GroupCollector;
  readonly #cannotReplay: GroupCollector;
  readonly #kinds = zeroKinds();
  readonly #skipped: Record<string, number> = {};
  readonly #revisions = new Map<string, number>();
  readonly #started: number;
  #lines = 0;
  #events = 0;
  #decisions = 0;
  #changed = 0;
  #unreplayable = 0;
  #acknowledged = 0;
  #first: string | null = null;
  #last: string | null = null;

  constructor(options: ImpactAnalysisOptions) {
    this.#options = options;
    if (options.since !== undefined) {
      const since = parseRfc3339(options.since);
      if (typeof since === 'string')
        throw new ImpactError('bad_argument', `--since: ${options.since} is not an RFC 3339 time (${since})`);
      this.#since = since;
    }
    const examples = options.examples ?? 3;
    this.#changes = new GroupCollector(examples);
    this.#cannotReplay = new GroupCollector(examples);
    this.#started = (options.now?.() ?? new Date()).getTime();
  }

  /** Replays one line of a decision log (JSON lines); a blank line is ignored. */
  addLine(text: string): void {
    this.#lines += 1;
    if (text.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.#unreadable();
      return;
    }
    if (!isJsonObject(parsed) || typeof parsed.decision_id !== 'string' || typeof parsed.path !== 'string') {
      this.#skip('not_a_decision');
      return;
    }
    // A shadow disagreement repeats a decision already in the log (same id, the active result).
    if (isJsonObject(parsed.shadow)) {
      this.#skip('shadow_disagreement');
      return;
    }
    this.addEvent(parsed as unknown as RecordedEvent);
  }

  /** Replays one decision-log event. */
  addEvent(event: RecordedEvent): void {
    const timestamp = typeof event.timestamp === 'string' ? event.timestamp : null;
    if (this.#since !== undefined) {
      const at = timestamp === null ? undefined : parseRfc3339(timestamp);
      if (typeof at !== 'bigint' || at < this.#since) {
        this.#skip('before_since');
        return;
      }
    }
    this.#events += 1;
    this.#first ??= timestamp;
    this.#last = timestamp ?? this.#last;
    const revision = revisionOf(event.bundles);
    if (revision !== null) this.#revisions.set(revision, (this.#revisions.get(revision) ?? 0) + 1);
    const replay = replayEvent(this.#options.candidate.engine, event);
    this.#decisions += replay.decisions;
    for (const finding of replay.findings) this.#file(event, finding, timestamp, revision);
  }

  /** The report of everything added so far. */
  report(logPath: string): ImpactReport {
    const now = this.#options.now?.() ?? new Date();
    const elapsedMs = Math.max(now.getTime() - this.#started, 0);
    const acknowledgements = this.#options.acknowledgements;
    const unacknowledged = this.#changed + this.#unreplayable - this.#acknowledged;
    return {
      format: 'verdict-policy-impact',
      version: 1,
      generated_at: now.toISOString(),
      candidate: this.#options.candidate.info,
      log: {
        path: logPath,
        since: this.#options.since ?? null,
        lines: this.#lines,
        events: this.#events,
        skipped: { ...this.#skipped },
        first_timestamp: this.#first,
        last_timestamp: this.#last,
        revisions: Object.fromEntries(this.#revisions),
      },
      summary: {
        decisions: this.#decisions,
        unchanged: this.#decisions - this.#changed - this.#unreplayable,
        changed: this.#changed,
        cannot_replay: this.#unreplayable,
        acknowledged: this.#acknowledged,
        unacknowledged,
        kinds: { ...this.#kinds },
        elapsed_ms: elapsedMs,
        events_per_second: elapsedMs === 0 ? 0 : Math.round((this.#events * 1000) / elapsedMs),
      },
      changes: this.#changes.groups(),
      cannot_replay: this.#cannotReplay.groups(),
      acknowledgements:
        acknowledgements === undefined
          ? null
          : {
              path: this.#options.acknowledgementsPath ?? '',
              entries: acknowledgements.entries.length,
              unused: acknowledgements.unused(),
            },
      exit_code: unacknowledged === 0 ? 0 : 1,
    };
  }

  #skip(reason: string): void {
    this.#skipped[reason] = (this.#skipped[reason] ?? 0) + 1;
  }

  #unreadable(): void {
    const id = `line:${this.#lines}`;
    const action = '(unreadable)';
    const reasons = ['(cannot_replay)'];
    this.#decisions += 1;
    this.#unreplayable += 1;
    const acknowledged = this.#options.acknowledgements?.covers(id, id, action, reasons) ?? false;
    if (acknowledged) this.#acknowledged += 1;
    this.#cannotReplay.add({
      action,
      reasons,
      kinds: [],
      example: {
        decision_id: id,
        item: null,
        subject: null,
        resource_id: null,
        timestamp: null,
        recorded_revision: null,
        kinds: [],
        before: null,
        after: null,
        masked: [],
        acknowledged,
      },
    });
  }

  #file(event: RecordedEvent, finding: Finding, timestamp: string | null, revision: string | null): void {
    const input = event.input;
    const action = isJsonObject(input) && typeof input.action === 'string' ? input.action : event.path;
    const reasons = finding.status === 'changed' ? finding.change.reasons : ['(cannot_replay)'];
    const acknowledged =
      this.#options.acknowledgements?.covers(finding.id, event.decision_id, action, reasons) ?? false;
    if (acknowledged) this.#acknowledged += 1;
    const base = {
      decision_id: finding.id,
      item: finding.index ?? null,
      subject: subjectOf(input),
      resource_id: resourceIdOf(input, finding.index),
      timestamp,
      recorded_revision: revision,
      acknowledged,
    };
    let example: ImpactExample;
    if (finding.status === 'changed') {
      this.#changed += 1;
      for (const kind of finding.change.kinds) this.#kinds[kind] += 1;
      const { kinds, before, after } = finding.change;
      example = { ...base, kinds, before, after, masked: [] };
      this.#changes.add({ action, reasons, kinds, example });
    } else {
      this.#unreplayable += 1;
      example = { ...base, kinds: [], before: finding.recorded, after: null, masked: finding.masked };
      this.#cannotReplay.add({ action, reasons, kinds: [], example });
    }
  }
}

/**
 * Replays the decision log at `log` (JSON lines, as `DECISION_LOG=file:<path>` writes them, from
 * the sidecar or the service in embedded mode) against the candidate, streaming it line by line.
 * Throws {@link ImpactError} when the log cannot be read.
 */
export async function analyzeImpact(
  options: ImpactAnalysisOptions & { readonly log: string },
): Promise<ImpactReport> {
  const analysis = new ImpactAnalysis(options);
  const unreadable = (error: unknown): ImpactError =>
    new ImpactError('unreadable_file', `--log: cannot read ${options.log}: ${describe(error)}`, {
      cause: error,
    });
  try {
    if (!(await stat(options.log)).isFile()) throw new Error('not a file');
  } catch (error) {
    throw unreadable(error);
  }
  const stream = createReadStream(options.log, { highWaterMark: 1 << 20 });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) analysis.addLine(line);
  } catch (error) {
    throw unreadable(error);
  } finally {
    stream.destroy();
  }
  return analysis.report(options.log);
}

function revisionOf(bundles: unknown): string | null {
  if (!isJsonObject(bundles)) return null;
  for (const bundle of Object.values(bundles)) {
    if (isJsonObject(bundle) && typeof bundle.revision === 'string') return bundle.revision;
  }
  return null;
}

function subjectOf(input: unknown): string | null {
  if (!isJsonObject(input) || !isJsonObject(input.subject) || !isJsonObject(input.subject.claims))
    return null;
  const { sub, client_id: clientId } = input.subject.claims;
  if (typeof sub === 'string') return sub;
  return typeof clientId === 'string' ? clientId : null;
}

function resourceIdOf(input: unknown, index: number | undefined): string | null {
  if (!isJsonObject(input)) return null;
  const resources: unknown = input.resources;
  const resource: unknown =
    index === undefined
      ? input.resource
      : Array.isArray(resources)
        ? (resources as unknown[])[index]
        : undefined;
  return isJsonObject(resource) && typeof resource.id === 'string' ? resource.id : null;
}
