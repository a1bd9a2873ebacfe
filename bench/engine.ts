// The policy engine in-process: decisions per second and latency percentiles for one decision and
// for a batch of 100, measured side by side in one run on the compiled bundle.
// Run: npm run bench -- engine   (results: bench/results/engine.md)
import { Engine } from '@verdict/sidecar/engine';
import { join } from 'node:path';
import { BENCH_ENVIRONMENT, benchResource, MANAGER } from './support/fixtures.js';
import { report } from './support/results.js';

const BUNDLE = join(import.meta.dirname, '..', 'policies', 'build', 'bundle.tar.gz');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);

const environment = BENCH_ENVIRONMENT;
const resource = (i: number) => benchResource(i, i % 2 === 0 ? 'alice' : 'bob');
const customer = {
  claims: { sub: 'alice', client_id: 'web-app', scope: 'transactions:read transactions:write' },
};
const manager = MANAGER;
const agent = {
  claims: {
    ...customer.claims,
    agent: { id: 'assistant', client_type: 'confidential' },
    transaction_not_older_than: 30,
    transaction_amount_limit: 100_000,
    excluded_categories: ['gambling'],
  },
};

function measure(run: () => void): { ops: number; p50: number; p99: number } {
  for (let i = 0; i < 500; i++) run();
  const samples: number[] = [];
  const deadline = performance.now() + DURATION_MS;
  while (performance.now() < deadline) {
    const started = performance.now();
    run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? 0;
  return { ops: samples.length / (DURATION_MS / 1000), p50: q(0.5), p99: q(0.99) };
}

const engine = await Engine.fromFile(BUNDLE);
const hundred = Array.from({ length: 100 }, (_, i) => resource(i));
const cases: [string, number, () => void][] = [
  [
    'decide: customer reads own',
    1,
    () =>
      engine.decide({ subject: customer, action: 'transactions:read', resource: resource(0), environment }),
  ],
  [
    'decide: manager approves (business hours, 4 time built-ins)',
    1,
    () =>
      engine.decide({ subject: manager, action: 'transactions:approve', resource: resource(1), environment }),
  ],
  [
    'decide: agent reads (age, amount, category limits)',
    1,
    () => engine.decide({ subject: agent, action: 'transactions:read', resource: resource(0), environment }),
  ],
  [
    'batch of 100: customer list',
    100,
    () =>
      engine.decideBatch({ subject: customer, action: 'transactions:list', resources: hundred, environment }),
  ],
  [
    'batch of 100: agent list',
    100,
    () =>
      engine.decideBatch({ subject: agent, action: 'transactions:list', resources: hundred, environment }),
  ],
  [
    'list_filter: agent',
    1,
    () => engine.listFilter({ subject: agent, action: 'transactions:list', environment }),
  ],
];
const rows = cases.map(([name, per, run]) => {
  const r = measure(run);
  return `| ${name} | ${r.ops.toFixed(0)} | ${(r.ops * per).toFixed(0)} | ${(r.p50 * 1000).toFixed(0)} | ${(r.p99 * 1000).toFixed(0)} |`;
});
report(
  'engine',
  `Engine (WASM, in-process), bundle revision ${engine.revision}, ${DURATION_MS / 1000} s per row`,
  ['case', 'calls/s', 'decisions/s', 'p50 µs', 'p99 µs'],
  rows,
);
