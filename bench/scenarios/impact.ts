import { BUNDLE_PATH } from '../support/launcher.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';
import type { ImpactBenchInput, ImpactBenchResult } from '../workers/impact.js';

/**
 * 10. Impact analysis (`npm run policy:impact`): decisions replayed per second against a candidate
 * bundle, from a decision log held in memory (so the disk is not what is measured), as recorded and
 * with masked fields the policies read. Target: ≥ 10,000 decisions/s each.
 */
export const impact: Scenario = {
  name: 'impact',
  number: 10,
  title: 'Impact analysis replay rate',
  async run(context: BenchContext) {
    const input: ImpactBenchInput = {
      bundlePath: BUNDLE_PATH,
      events: context.quick ? 5_000 : 30_000,
      rounds: context.quick ? 2 : 5,
    };
    context.log(`impact: replaying ${input.events} events × ${input.rounds} rounds, twice`);
    const result = await context.launcher.runWorker<ImpactBenchResult>('impact', input);
    return {
      title: this.title,
      notes: [
        `The decision tables recorded by the real policy engine (${result.recordedEvents} events: decisions, batches, list filters), repeated to ${input.events} lines and replayed ${input.rounds} times against the unchanged bundle as candidate; the best round is shown. A batch counts one decision per resource.`,
        'Masked: DECISION_LOG_MASK=input.environment.request_id,input.resource.owner (the customer id, which every transaction rule compares). A masked event is asked with the masked fields absent (as recorded) and set to two sentinel values; answers that differ make it "cannot replay"; answers that agree with each other but not with the recorded one are asked again with values found elsewhere in the input (an owner compared with the caller). So a masked event costs three or more evaluations, an unmasked one one.',
      ],
      tables: [
        {
          header: [
            'log',
            'events',
            'decisions',
            'cannot replay',
            'best ms',
            'median ms',
            'decisions/s',
            'events/s',
          ],
          rows: result.runs.map((run) => [
            run.log,
            String(run.events),
            String(run.decisions),
            String(run.cannotReplay),
            run.bestMs.toFixed(0),
            run.medianMs.toFixed(0),
            String(run.decisionsPerSecond),
            String(run.eventsPerSecond),
          ]),
        },
      ],
      checks: result.runs.map((run) =>
        check(
          `decisions/s ${run.log}`,
          `decisions replayed per second, ${run.log}`,
          run.decisionsPerSecond,
          '>=',
          10_000,
          'count',
          true,
        ),
      ),
      data: result,
    };
  },
};
