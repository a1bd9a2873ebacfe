#!/usr/bin/env node
// Runs the Rego unit tests: opa fmt and opa check --strict over policies/ and policy-tests/, then
// `opa test` with coverage, failing when the policies' line coverage is under the threshold.
// Builds the bundles first when they are missing or stale (the tests need the merged data).
// The YAML decision tables run separately: npm test -w policy-tests.
// Usage: node scripts/policy-test.mjs   (npm run policy:test)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale, opaPath } from './policy-build.mjs';

/** Least line coverage of the policies, in percent. */
const THRESHOLD = 90;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Rego only: policy-tests/ also holds YAML decision tables, which opa would load as data.
const sources = ['policies/verdict', 'policies/build/data', 'policy-tests/verdict'];

function say(message) {
  process.stdout.write(`policy-test: ${message}\n`);
}

function fail(message) {
  process.stderr.write(`policy-test: ${message}\n`);
  process.exit(1);
}

function run(command, args) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC' },
  });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  return result;
}

if (isStale()) {
  say('policy bundles are missing or stale: node scripts/policy-build.mjs');
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'policy-build.mjs')], {
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const opa = opaPath();

say('opa fmt --list policies/verdict policy-tests/verdict');
const fmt = run(opa, ['fmt', '--list', 'policies/verdict', 'policy-tests/verdict']);
if (fmt.status !== 0 || fmt.stdout.trim() !== '') {
  fail(`not opa fmt clean (run: .tools/bin/opa fmt -w policy-tests/verdict):\n${fmt.stdout}${fmt.stderr}`);
}

say('opa check --strict');
const check = run(opa, ['check', '--strict', ...sources]);
if (check.status !== 0) fail(`opa check failed:\n${check.stdout}${check.stderr}`);

say(`opa test ${sources.join(' ')}`);
const test = run(opa, ['test', ...sources]);
process.stdout.write(test.stdout);
if (test.status !== 0) fail(`Rego tests failed\n${test.stderr}`);

const coverageRun = run(opa, ['test', '--coverage', ...sources]);
if (coverageRun.status !== 0) fail(`opa test --coverage failed:\n${coverageRun.stderr}`);
const report = JSON.parse(coverageRun.stdout);
let covered = 0;
let total = 0;
for (const [file, entry] of Object.entries(report.files ?? {}).sort()) {
  if (!file.startsWith('policies/')) continue;
  // OPA counts lines: `covered_lines` and `not_covered_lines` (absent when zero).
  const fileCovered = entry.covered_lines ?? 0;
  const fileTotal = fileCovered + (entry.not_covered_lines ?? 0);
  covered += fileCovered;
  total += fileTotal;
  const missed = [...new Set((entry.not_covered ?? []).map((r) => r.start.row))].join(', ');
  say(
    `  ${file}: ${((100 * fileCovered) / fileTotal).toFixed(1)} %${missed ? ` (lines not run: ${missed})` : ''}`,
  );
}
const percent = total === 0 ? 0 : (100 * covered) / total;
say(`coverage of the policies: ${percent.toFixed(2)} % of ${total} lines (threshold ${THRESHOLD} %)`);
if (percent < THRESHOLD) fail(`coverage ${percent.toFixed(2)} % is under ${THRESHOLD} %`);
say('passed');
