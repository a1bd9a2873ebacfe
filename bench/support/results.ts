import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LaunchMode } from './launcher.js';
import { ROOT } from './launcher.js';
import type { Machine, Revision } from './machine.js';
import type { Check, ScenarioResult, Table } from './scenario.js';

/** Where runs are recorded: `<YYYY-MM-DD>.json`, `<YYYY-MM-DD>.md` and `latest.md`. */
export const RESULTS_DIR = join(ROOT, 'bench', 'results');

/** A scenario as recorded: its results, when and on what code it ran. */
export interface ScenarioRecord extends ScenarioResult {
  readonly number: number;
  readonly recordedAt: string;
  readonly commit: string;
  readonly launch: LaunchMode;
  readonly wallSeconds: number;
}

/** One day's record: the latest run's facts, and every scenario run that day (latest wins). */
export interface RunRecord {
  readonly date: string;
  readonly startedAt: string;
  readonly wallSeconds: number;
  readonly machine: Machine;
  readonly node: string;
  readonly revision: Revision;
  readonly launch: LaunchMode;
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly scenarios: Readonly<Record<string, ScenarioRecord>>;
}

/** The recorded runs, newest first. */
export function recordedRuns(): RunRecord[] {
  if (!existsSync(RESULTS_DIR)) return [];
  return readdirSync(RESULTS_DIR)
    .filter((file) => /^\d{4}-\d{2}-\d{2}\.json$/.test(file))
    .sort()
    .reverse()
    .map((file) => JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as RunRecord);
}

/** A check's value with its unit. */
export function formatValue(value: number, unit: Check['unit']): string {
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'x':
      return `${value.toFixed(2)}×`;
    case 'µs':
      return `${value.toFixed(1)} µs`;
    case '%':
      return `${value.toFixed(2)} %`;
    case 'count':
      return String(value);
  }
}

function formatTarget(check: Check): string {
  const op = check.op === '>=' ? '≥' : check.op === '<=' ? '≤' : '=';
  return `${op} ${formatValue(check.target, check.unit)}`;
}

/** One line per check: met or MISSED, its value and target. */
export function checkLines(checks: readonly Check[]): string[] {
  return checks.map(
    (c) =>
      `${c.met ? '  met    ' : '  MISSED '} ${c.label}: ${formatValue(c.value, c.unit)} (target ${formatTarget(c)})`,
  );
}

function markdownTable(table: Table): string[] {
  return [
    `| ${table.header.join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** A scenario's section: title, conditions, tables, and its checks. */
export function scenarioMarkdown(name: string, record: ScenarioRecord, runCommit: string): string[] {
  const lines = [`## ${record.number}. ${record.title}`, ''];
  const when = `\`npm run bench -- ${name}\` · ${Math.round(record.wallSeconds)} s`;
  lines.push(
    record.commit === runCommit ? when : `${when} · recorded ${record.recordedAt} on ${record.commit}`,
  );
  lines.push('');
  for (const note of record.notes) lines.push(`- ${note}`);
  if (record.notes.length > 0) lines.push('');
  for (const table of record.tables) lines.push(...markdownTable(table), '');
  lines.push(
    ...markdownTable({
      header: ['check', 'value', 'target', 'result'],
      rows: record.checks.map((c) => [
        c.label,
        formatValue(c.value, c.unit),
        formatTarget(c),
        c.met ? 'met' : '**missed**',
      ]),
    }),
    '',
  );
  return lines;
}

/** The whole day's record as Markdown: the machine, a summary of every target, then each scenario. */
export function runMarkdown(run: RunRecord): string {
  const { machine, revision } = run;
  const scenarios = Object.entries(run.scenarios).sort(([, a], [, b]) => a.number - b.number);
  const checks = scenarios.flatMap(([, s]) => s.checks.map((c) => ({ scenario: s, check: c })));
  const missed = checks.filter(({ check: c }) => !c.met).length;
  const lines = [
    `# Verdict benchmarks, ${run.date}`,
    '',
    `- Code: commit \`${revision.commit}\`${revision.dirty ? ' with uncommitted changes' : ''}; service and sidecar ${run.launch === 'dist' ? 'compiled (`npm run build`, plain Node on `dist/`)' : 'from sources through tsx (no `dist/` build)'}.`,
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}; Node ${run.node}.`,
    `- Load average (1/5/15 min) at start ${run.loadAverage.start.join(' / ')}, at end ${run.loadAverage.end.join(' / ')}.`,
    `- The load generator (autocannon in its own process) and every server under test share these ${machine.cores} cores, so absolute rates are low and noisy; the targets are ratios measured side by side in the same run.`,
    `- Wall time of the last run: ${Math.floor(run.wallSeconds / 60)} min ${Math.round(run.wallSeconds % 60)} s.`,
    '',
    `## Targets: ${checks.length - missed} met, ${missed} missed`,
    '',
    ...markdownTable({
      header: ['#', 'scenario', 'check', 'value', 'target', 'result'],
      rows: checks.map(({ scenario, check: c }) => [
        String(scenario.number),
        scenario.title,
        c.label,
        formatValue(c.value, c.unit),
        formatTarget(c),
        c.met ? 'met' : '**missed**',
      ]),
    }),
    '',
  ];
  for (const [name, record] of scenarios) lines.push(...scenarioMarkdown(name, record, revision.commit));
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * Writes the run: merged into the day's JSON (scenarios of an earlier run that day are kept unless
 * run again), that day's Markdown, and `latest.md`. Returns the paths written.
 */
export function record(run: RunRecord): { json: string; markdown: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = join(RESULTS_DIR, `${run.date}.json`);
  const earlier = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as RunRecord) : undefined;
  const merged: RunRecord = { ...run, scenarios: { ...earlier?.scenarios, ...run.scenarios } };
  writeFileSync(json, `${JSON.stringify(merged, null, 2)}\n`);
  const markdown = join(RESULTS_DIR, `${run.date}.md`);
  writeFileSync(markdown, runMarkdown(merged));
  copyFileSync(markdown, join(RESULTS_DIR, 'latest.md'));
  return { json, markdown };
}

/** A tracked check more than 20 % worse than in the last recorded run that has it. */
export interface Regression {
  readonly check: Check;
  readonly baseline: number;
  readonly recordedAt: string;
}

/** How much worse than its baseline a tracked check may get before `--check` fails. */
export const REGRESSION_TOLERANCE = 0.2;

/**
 * The checks of `scenarios` that regressed more than 20 % against `runs` (newest first, recorded
 * before this run): higher-is-better values below 80 % of the baseline, lower-is-better above 120 %.
 */
export function regressions(
  scenarios: Readonly<Record<string, ScenarioResult>>,
  runs: readonly RunRecord[],
): Regression[] {
  const found: Regression[] = [];
  for (const [name, scenario] of Object.entries(scenarios)) {
    for (const current of scenario.checks) {
      if (!current.tracked || !Number.isFinite(current.value)) continue;
      for (const run of runs) {
        const earlier = run.scenarios[name]?.checks.find((c) => c.id === current.id);
        if (earlier === undefined || !Number.isFinite(earlier.value)) continue;
        const worse =
          current.op === '>='
            ? current.value < earlier.value * (1 - REGRESSION_TOLERANCE)
            : current.value > earlier.value * (1 + REGRESSION_TOLERANCE);
        if (worse) {
          found.push({
            check: current,
            baseline: earlier.value,
            recordedAt: run.scenarios[name]?.recordedAt ?? run.date,
          });
        }
        break;
      }
    }
  }
  return found;
}
