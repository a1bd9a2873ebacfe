import { BUNDLE_PATH } from '../support/launcher.js';
import { check, type BenchContext, type Check, type Scenario } from '../support/scenario.js';
import type { EngineBenchInput, EngineBenchResult, KindResult } from '../workers/engine.js';

const us = (value: number): string => value.toFixed(1);

/**
 * 4. The engine in-process: every case of the decision tables through Engine.decide, decideBatch
 * and listFilter, grouped by kind; batches of 100 resources. Its own process, nothing else in it.
 */
export const engine: Scenario = {
  name: 'engine',
  number: 4,
  title: 'Policy engine in-process',
  async run(context: BenchContext) {
    const input: EngineBenchInput = { bundlePath: BUNDLE_PATH, rounds: context.durations.engineRounds };
    context.log('engine: timing every decision-table case');
    const result = await context.launcher.runWorker<EngineBenchResult>('engine', input);
    const checks: Check[] = [];
    for (const kind of result.kinds) {
      if (kind.entrypoint === 'decision') {
        checks.push(check(`p50 ${kind.kind}`, `${kind.kind} p50`, kind.p50Us, '<=', 30, 'µs'));
        checks.push(check(`p99 ${kind.kind}`, `${kind.kind} p99`, kind.p99Us, '<=', 60, 'µs', false));
      } else if (kind.entrypoint === 'list_filter') {
        checks.push(check('p50 listFilter', 'listFilter p50', kind.p50Us, '<=', 30, 'µs'));
      }
    }
    for (const batch of result.batches) {
      checks.push(check(`p50 ${batch.kind}`, `${batch.kind}, p50`, batch.p50Us, '<=', 1000, 'µs'));
    }
    const row = (kind: KindResult): string[] => [
      kind.kind,
      String(kind.cases),
      String(kind.samples),
      us(kind.p50Us),
      us(kind.p99Us),
      `${kind.slowestCase.replace(/\|/g, '/')} (${us(kind.slowestP50Us)})`,
    ];
    return {
      title: this.title,
      notes: [
        `Bundle revision ${result.revision}; ${result.cases} cases of policy-tests/cases timed ${context.durations.engineRounds} times each (round-robin over all cases, after a warm-up), one call per sample, in a process of its own.`,
        'Targets: every decision kind p50 ≤ 30 µs and p99 ≤ 60 µs; listFilter p50 ≤ 30 µs; a batch of 100 ≤ 1 ms (p50). decideBatch cases of the tables hold 3–4 resources: shown, no target.',
        ...(result.failed.length === 0
          ? []
          : [`Not timed (the typed API refused their input): ${result.failed.join('; ')}.`]),
      ],
      tables: [
        {
          header: ['kind', 'cases', 'samples', 'p50 µs', 'p99 µs', 'slowest case (its p50 µs)'],
          rows: [...result.kinds, ...result.batches].map(row),
        },
      ],
      checks,
      data: result,
    };
  },
};
