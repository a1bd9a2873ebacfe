// The benchmark suite (`npm run bench [-- [--quick] [--check] [scenario…]]`): every scenario of the
// issue "The price of security" in one run, each against its target, recorded in
// bench/results/<date>.json and .md (and latest.md). --check exits non-zero when a tracked ratio
// or latency is more than 20 % worse than in the last recorded run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { coldTokens } from './scenarios/cold-tokens.js';
import { engine } from './scenarios/engine.js';
import { hotReload } from './scenarios/hot-reload.js';
import { impact } from './scenarios/impact.js';
import { lists } from './scenarios/lists.js';
import { memory } from './scenarios/memory.js';
import { noFalse503 } from './scenarios/no-false-503.js';
import { peerStack } from './scenarios/peer-stack.js';
import { priceOfSecurity } from './scenarios/price-of-security.js';
import { sidecarVsOpa } from './scenarios/sidecar-vs-opa.js';
import { BenchIssuer } from './support/issuer.js';
import { Launcher } from './support/launcher.js';
import { loadAverage, machine, revision } from './support/machine.js';
import {
  checkLines,
  formatValue,
  record,
  recordedRuns,
  regressions,
  scenarioMarkdown,
  type RunRecord,
  type ScenarioRecord,
} from './support/results.js';
import { check, type BenchContext, type Durations, type Scenario } from './support/scenario.js';
import { seed } from './support/seed.js';

const SCENARIOS: readonly Scenario[] = [
  priceOfSecurity,
  noFalse503,
  peerStack,
  engine,
  sidecarVsOpa,
  lists,
  coldTokens,
  hotReload,
  memory,
  impact,
];

const FULL: Durations = {
  warmupMs: 2000,
  measureMs: 8000,
  noFalse503Ms: 60_000,
  reloadMs: 30_000,
  reloadBaselineMs: 15_000,
  engineRounds: 300,
  memoryFirst: 100_000,
  memoryTotal: 1_000_000,
  coldTokens: 60_000,
};

const QUICK: Durations = {
  warmupMs: 1000,
  measureMs: 3000,
  noFalse503Ms: 10_000,
  reloadMs: 8000,
  reloadBaselineMs: 4000,
  engineRounds: 40,
  memoryFirst: 10_000,
  memoryTotal: 100_000,
  coldTokens: 15_000,
};

const USAGE = `usage: npm run bench -- [--quick] [--check] [scenario…]
  scenarios (name or number): ${SCENARIOS.map((s) => `${s.number} ${s.name}`).join(', ')}
  --quick   short durations (a smoke run; not recorded)
  --check   exit 1 when a ratio or latency is more than 20 % worse than in the last recorded run`;

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: { quick: { type: 'boolean' }, check: { type: 'boolean' }, help: { type: 'boolean' } },
  });
} catch (error) {
  fail((error as Error).message);
}
if (args.values.help === true) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const selected =
  args.positionals.length === 0
    ? SCENARIOS
    : args.positionals.map(
        (wanted) =>
          SCENARIOS.find((s) => s.name === wanted || String(s.number) === wanted) ??
          fail(`no scenario "${wanted}"`),
      );
const quick = args.values.quick === true;
const durations = quick ? QUICK : FULL;

const startedAt = new Date();
const began = performance.now();
const elapsed = () => `${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s`;
const log = (message: string) => process.stderr.write(`[${elapsed()}] ${message}\n`);
const loadAtStart = loadAverage();
const code = revision();
const baselines = recordedRuns();

const dir = mkdtempSync(join(tmpdir(), 'verdict-bench-'));
const issuer = await BenchIssuer.start();
log('seeding the benchmark database');
const launcher = new Launcher({ dir, issuer });
let data;
try {
  data = await seed(launcher, issuer);
} catch (error) {
  await launcher.stopAll();
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
  throw error;
}
const state = { interrupted: false };
const cleanUp = async () => {
  await launcher.stopAll();
  await issuer.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => {
  state.interrupted = true;
  log('interrupted: stopping the servers');
  void cleanUp().then(() => process.exit(130));
});
log(
  `service and sidecar from ${launcher.mode === 'dist' ? 'dist/ (compiled)' : 'sources (tsx)'}; ${quick ? 'quick run' : 'full run'}: ${selected.map((s) => s.name).join(', ')}`,
);

const context: BenchContext = { quick, durations, dir, issuer, data, launcher, log };
const results: Record<string, ScenarioRecord> = {};
const crashed: string[] = [];
for (const scenario of selected) {
  if (state.interrupted) break;
  log(`=== ${scenario.number}. ${scenario.name}`);
  const t0 = performance.now();
  try {
    const result = await scenario.run(context);
    const entry: ScenarioRecord = {
      ...result,
      number: scenario.number,
      recordedAt: new Date().toISOString(),
      commit: code.commit,
      launch: launcher.mode,
      wallSeconds: (performance.now() - t0) / 1000,
    };
    results[scenario.name] = entry;
    process.stdout.write(`\n${scenarioMarkdown(scenario.name, entry, code.commit).join('\n')}\n`);
    process.stdout.write(`${checkLines(entry.checks).join('\n')}\n`);
  } catch (error) {
    crashed.push(scenario.name);
    const message = error instanceof Error ? error.message : String(error);
    log(`${scenario.name} failed: ${error instanceof Error ? (error.stack ?? message) : message}`);
    // Recorded as a missed target with its error, so a scenario that cannot run is never silent.
    results[scenario.name] = {
      title: scenario.title,
      notes: [`Did not run to the end: ${message.split('\n').slice(0, 3).join(' / ')}`],
      tables: [],
      checks: [check('ran', 'scenario ran to the end', 0, '==', 1, 'count')],
      data: { error: message },
      number: scenario.number,
      recordedAt: new Date().toISOString(),
      commit: code.commit,
      launch: launcher.mode,
      wallSeconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await launcher.stopAll();
  }
}
await cleanUp();

const wallSeconds = (performance.now() - began) / 1000;
const checks = Object.values(results).flatMap((s) => s.checks);
const missed = checks.filter((c) => !c.met);
process.stdout.write(
  `\n${checks.length - missed.length} of ${checks.length} targets met, ${missed.length} missed; wall time ${Math.floor(wallSeconds / 60)} min ${Math.round(wallSeconds % 60)} s\n`,
);
if (missed.length > 0) process.stdout.write(`${checkLines(missed).join('\n')}\n`);
if (crashed.length > 0) process.stdout.write(`scenarios that failed to run: ${crashed.join(', ')}\n`);

if (quick) {
  process.stdout.write('quick run: not recorded\n');
} else if (Object.keys(results).length > 0) {
  const run: RunRecord = {
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    wallSeconds,
    machine: machine(),
    node: process.version,
    revision: code,
    launch: launcher.mode,
    loadAverage: { start: loadAtStart, end: loadAverage() },
    scenarios: results,
  };
  const written = record(run);
  process.stdout.write(`recorded ${written.json} and ${written.markdown} (and latest.md)\n`);
}

let exitCode = crashed.length > 0 ? 1 : 0;
if (args.values.check === true) {
  const found = regressions(results, baselines);
  if (found.length === 0) {
    process.stdout.write('--check: no tracked ratio or latency regressed more than 20 %\n');
  } else {
    exitCode = 1;
    process.stdout.write(`--check: ${found.length} regressed more than 20 %:\n`);
    for (const { check, baseline, recordedAt } of found) {
      process.stdout.write(
        `  ${check.label}: ${formatValue(check.value, check.unit)}, was ${formatValue(baseline, check.unit)} (${recordedAt})\n`,
      );
    }
  }
}
process.exit(exitCode);
