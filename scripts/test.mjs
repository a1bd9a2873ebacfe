#!/usr/bin/env node
// Runs every test in order — lint, types, policy build and Rego tests, then each workspace's ava
// suite, then schemathesis against the service — and stops at the first failure. `npm test` runs
// this after the bootstrap.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;

/** Steps in order; a root script that does not exist yet is a failure, not a skip. */
const steps = [
  ['lint', ['npm', 'run', 'lint']],
  ['types', ['npm', 'run', 'typecheck']],
  ...('policy:build' in scripts ? [['policy build', ['npm', 'run', 'policy:build']]] : []),
  ...('policy:test' in scripts ? [['rego tests', ['npm', 'run', 'policy:test']]] : []),
  ['prometheus config', ['promtool', 'check', 'config', 'compose/prometheus/prometheus.yml']],
  ['alert rule tests', ['promtool', 'test', 'rules', 'compose/prometheus/alerts.test.yml']],
  ['sidecar tests', ['npm', 'test', '-w', 'sidecar']],
  ['auth server tests', ['npm', 'test', '-w', 'auth-server']],
  ['policy decision tables', ['npm', 'test', '-w', 'policy-tests']],
  // The compiled JavaScript production runs (service/dist, sidecar/dist); a service test runs it.
  ['build', ['npm', 'run', 'build']],
  ['service tests', ['npm', 'test', '-w', 'service']],
  // The local stack through real nginx over TLS (compiled parts), and compose/Dockerfiles statically.
  ['gateway end-to-end', ['npx', 'ava', '--config', 'compose/ava.config.mjs']],
  // The service fuzzed over its own /openapi.json by schemathesis (from .tools/venv), once per caller.
  ['schemathesis', ['node', '--import', 'tsx', 'service/test/e2e/schemathesis.ts']],
];

const started = Date.now();
const env = { ...process.env, PATH: `${join(root, '.tools', 'bin')}:${process.env.PATH ?? ''}` };
const totals = { passed: 0, failed: 0 };

/** Counts what the runners report: ava's "N tests passed/failed" and opa's "PASS: n/N". */
function count(output) {
  const text = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  for (const [, n] of text.matchAll(/^\s*(\d+) tests? passed/gm)) totals.passed += Number(n);
  for (const [, n] of text.matchAll(/^\s*(\d+) tests? failed/gm)) totals.failed += Number(n);
  for (const [, n, of] of text.matchAll(/^PASS: (\d+)\/(\d+)$/gm)) {
    totals.passed += Number(n);
    totals.failed += Number(of) - Number(n);
  }
}

/** Runs one step, showing its output as it comes and keeping it for the count. */
function runStep(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
      process.stderr.write(chunk);
    });
    child.on('error', (error) => {
      output += error.message;
      resolve({ status: 127, output });
    });
    child.on('close', (status) => resolve({ status, output }));
  });
}

for (const [name, [command, ...args]] of steps) {
  process.stdout.write(`\n>>> ${name}: ${command} ${args.join(' ')}\n`);
  const t0 = Date.now();
  const result = await runStep(command, args);
  count(result.output);
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.status !== 0) {
    process.stdout.write(`\n>>> ${name} FAILED after ${seconds}s\n`);
    process.stdout.write(`tests: ${totals.passed} passed, ${Math.max(1, totals.failed)} failed\n`);
    process.exit(result.status ?? 1);
  }
  process.stdout.write(`>>> ${name}: ok, ${seconds}s\n`);
}
process.stdout.write(`\nall test steps passed in ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed\n`);
