// The engine in-process, a process of its own: every case of the decision tables
// (policy-tests/cases) timed call by call through Engine.decide / decideBatch / listFilter, grouped
// by kind (entrypoint and action), plus batches of 100 resources.
//   node --import tsx bench/workers/engine.ts <in.json> <out.json>
import { Engine } from '@verdict/sidecar/engine';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadCases } from '../../policy-tests/src/cases.js';
import {
  POLICY_ACTIONS,
  type BatchInput,
  type ListFilterInput,
  type PolicyInput,
} from '@verdict/sidecar/contract/policy';
import { BENCH_ENVIRONMENT, benchResource, MANAGER } from '../support/fixtures.js';

/** What the engine worker is asked. */
export interface EngineBenchInput {
  readonly bundlePath: string;
  /** Timed calls per case (every case once per round, in table order). */
  readonly rounds: number;
}

/** Latency of one kind of call, over all its samples. */
export interface KindResult {
  readonly kind: string;
  readonly entrypoint: 'decision' | 'batch' | 'list_filter';
  readonly cases: number;
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** The case with the highest median, and that median. */
  readonly slowestCase: string;
  readonly slowestP50Us: number;
}

/** What the engine worker measured. */
export interface EngineBenchResult {
  readonly revision: string;
  readonly cases: number;
  readonly failed: readonly string[];
  readonly kinds: readonly KindResult[];
  readonly batches: readonly KindResult[];
}

const [inFile, outFile] = process.argv.slice(2);
if (inFile === undefined || outFile === undefined) throw new Error('usage: engine.ts <in.json> <out.json>');
const { bundlePath, rounds } = JSON.parse(readFileSync(inFile, 'utf8')) as EngineBenchInput;
const engine = await Engine.fromFile(bundlePath);

interface Timed {
  readonly name: string;
  readonly kind: string;
  readonly entrypoint: KindResult['entrypoint'];
  readonly run: () => unknown;
  readonly samples: number[];
}

const failed: string[] = [];
const timed: Timed[] = [];
for (const testCase of loadCases()) {
  const { input, entrypoint } = testCase;
  const action = typeof input.action === 'string' ? input.action : JSON.stringify(input.action);
  const run =
    entrypoint === 'decision'
      ? () => engine.decide(input as unknown as PolicyInput)
      : entrypoint === 'batch'
        ? () => engine.decideBatch(input as unknown as BatchInput)
        : () => engine.listFilter(input as unknown as ListFilterInput);
  try {
    run();
  } catch {
    // A case whose input the typed API refuses (e.g. a malformed claim on purpose) is not timed.
    failed.push(testCase.name);
    continue;
  }
  const known = (POLICY_ACTIONS as readonly string[]).includes(action);
  const kind =
    entrypoint === 'decision'
      ? known
        ? `decide ${action}`
        : 'decide (actions the policy does not know: denied)'
      : entrypoint === 'batch'
        ? 'decideBatch (decision tables, 3–4 resources)'
        : 'listFilter';
  timed.push({ name: testCase.name, kind, entrypoint, run, samples: [] });
}

const hundred = (owner: (i: number) => string) =>
  Array.from({ length: 100 }, (_, i) => benchResource(i, owner(i)));
const customer = { claims: { sub: 'alice', client_id: 'web-app', scope: 'transactions:read' } };
const agent = {
  claims: {
    ...customer.claims,
    agent: { id: 'assistant', client_type: 'confidential' },
    transaction_not_older_than: 30,
    transaction_amount_limit: 100_000,
    excluded_categories: ['gambling'],
  },
};
const batchInput = (subject: PolicyInput['subject']): BatchInput => ({
  subject,
  action: 'transactions:list',
  resources: hundred((i) => (i % 2 === 0 ? 'alice' : 'bob')),
  environment: BENCH_ENVIRONMENT,
});
const subjects: [string, PolicyInput['subject']][] = [
  ['customer', customer],
  ['retail manager', MANAGER],
  ['AI agent with limits', agent],
];
const batches: Timed[] = subjects.map(([who, subject]) => {
  const input = batchInput(subject);
  return {
    name: `batch of 100: ${who} lists`,
    kind: `batch of 100: ${who} lists`,
    entrypoint: 'batch' as const,
    run: () => engine.decideBatch(input),
    samples: [],
  };
});

function measure(all: readonly Timed[], count: number): void {
  const warm = Math.max(10, Math.floor(count / 10));
  for (let round = 0; round < warm + count; round++) {
    for (const entry of all) {
      const started = performance.now();
      entry.run();
      const us = (performance.now() - started) * 1000;
      if (round >= warm) entry.samples.push(us);
    }
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summarize(all: readonly Timed[]): KindResult[] {
  const kinds = new Map<string, Timed[]>();
  for (const entry of all) kinds.set(entry.kind, [...(kinds.get(entry.kind) ?? []), entry]);
  return [...kinds.entries()].map(([kind, entries]) => {
    const samples = entries.flatMap((entry) => entry.samples).sort((a, b) => a - b);
    const medians = entries.map((entry) => ({
      name: entry.name,
      p50: quantile(
        [...entry.samples].sort((a, b) => a - b),
        0.5,
      ),
    }));
    const slowest = medians.reduce((a, b) => (b.p50 > a.p50 ? b : a));
    return {
      kind,
      entrypoint: entries[0]?.entrypoint ?? 'decision',
      cases: entries.length,
      samples: samples.length,
      p50Us: quantile(samples, 0.5),
      p99Us: quantile(samples, 0.99),
      slowestCase: slowest.name,
      slowestP50Us: slowest.p50,
    };
  });
}

measure(timed, rounds);
measure(batches, Math.max(50, Math.floor(rounds / 2)));
const result: EngineBenchResult = {
  revision: engine.revision,
  cases: timed.length,
  failed,
  kinds: summarize(timed),
  batches: summarize(batches),
};
writeFileSync(outFile, JSON.stringify(result));
