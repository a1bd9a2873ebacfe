// The impact-analysis replay rate (issue "Policy lifecycle": ≥ 10,000 replayed decisions per
// second), in a process of its own:
//   node --import tsx bench/workers/impact.ts <in.json> <out.json>
// A decision log is recorded from the decision tables by the real policy engine (as production
// writes it), repeated to `events` lines, and fed from memory to `ImpactAnalysis` against a
// candidate; once as recorded, once with DECISION_LOG_MASK hiding fields the policies read (every
// such event is re-asked with the field absent and with sentinel values before it is filed).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCandidate } from '../../sidecar/src/impact/candidate.js';
import { ImpactAnalysis } from '../../sidecar/src/impact/impact.js';
import { recordDecisionTables } from '../../sidecar/test/impact/decision-tables-log.js';

/** What the scenario asks for. */
export interface ImpactBenchInput {
  readonly bundlePath: string;
  /** Log lines replayed per round (the recorded log repeated). */
  readonly events: number;
  readonly rounds: number;
}

/** One log replayed: the best round's rates (the others are warm-up and noise). */
export interface ImpactRun {
  readonly log: string;
  readonly mask: string;
  readonly events: number;
  readonly decisions: number;
  readonly cannotReplay: number;
  readonly changed: number;
  readonly bestMs: number;
  readonly medianMs: number;
  readonly decisionsPerSecond: number;
  readonly eventsPerSecond: number;
}

export interface ImpactBenchResult {
  readonly recordedEvents: number;
  readonly runs: readonly ImpactRun[];
}

const LOGS = [
  { log: 'as recorded', mask: '' },
  // The customer id of every transaction decision (personal data, and a field every rule compares),
  // and a request id.
  { log: 'masked (resource.owner, request_id)', mask: 'input.environment.request_id,input.resource.owner' },
] as const;

const [inFile, outFile] = process.argv.slice(2);
if (inFile === undefined || outFile === undefined) throw new Error('usage: impact.ts <in.json> <out.json>');
const { bundlePath, events, rounds } = JSON.parse(readFileSync(inFile, 'utf8')) as ImpactBenchInput;
const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-impact-'));
try {
  const candidate = await loadCandidate(bundlePath);
  const runs: ImpactRun[] = [];
  let recordedEvents = 0;
  for (const { log, mask } of LOGS) {
    const path = join(dir, `${runs.length}.jsonl`);
    await recordDecisionTables(bundlePath, path, mask);
    const recorded = readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    recordedEvents = recorded.length;
    const lines = Array.from({ length: events }, (_, i) => recorded[i % recorded.length] as string);
    const times: number[] = [];
    let last;
    for (let round = 0; round < rounds; round++) {
      const analysis = new ImpactAnalysis({ candidate });
      const started = process.hrtime.bigint();
      for (const line of lines) analysis.addLine(line);
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
      last = analysis.report(path);
    }
    if (last === undefined) throw new Error('no round ran');
    const sorted = [...times].sort((a, b) => a - b);
    const bestMs = sorted[0] as number;
    runs.push({
      log,
      mask,
      events: last.log.events,
      decisions: last.summary.decisions,
      cannotReplay: last.summary.cannot_replay,
      changed: last.summary.changed,
      bestMs,
      medianMs: sorted[Math.floor(sorted.length / 2)] as number,
      decisionsPerSecond: Math.round((last.summary.decisions * 1000) / bestMs),
      eventsPerSecond: Math.round((last.log.events * 1000) / bestMs),
    });
  }
  writeFileSync(outFile, JSON.stringify({ recordedEvents, runs } satisfies ImpactBenchResult));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
