import { ALICE } from '../support/issuer.js';
import { failures } from '../support/load.js';
import { LOAD_HEADER, loadRow, measure, started } from '../support/measure.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';

const CONNECTIONS = 32;

/**
 * 2. No false 503s: the secured read in sidecar mode under 32 connections for 60 s against a
 * healthy sidecar, with the default PDP_TIMEOUT_MS; every answer must be a 2xx.
 */
export const noFalse503: Scenario = {
  name: 'no-false-503',
  number: 2,
  title: 'No false 503s',
  async run(context: BenchContext) {
    const headers = { authorization: `Bearer ${await context.issuer.sign(ALICE)}` };
    const measured = await measure(
      context,
      'Verdict sidecar mode over TCP',
      async () => started(await context.launcher.startStack('sidecar-tcp')),
      {
        path: `/transactions/${context.data.transactionId}`,
        headers,
        connections: CONNECTIONS,
        warmupMs: context.durations.warmupMs,
        durationMs: context.durations.noFalse503Ms,
      },
    );
    const { result } = measured;
    return {
      title: this.title,
      notes: [
        `${CONNECTIONS} keep-alive connections for ${context.durations.noFalse503Ms / 1000} s after a ${context.durations.warmupMs / 1000} s warm-up; GET /transactions/{id}, warm token; the sidecar healthy all along.`,
        'Service defaults for the PDP client (PDP_TIMEOUT_MS 50, circuit breaker); a 503 here is the service giving up on a healthy sidecar.',
      ],
      tables: [
        {
          header: [...LOAD_HEADER, '503s'],
          rows: [[...loadRow(measured), String(result.statuses['503'] ?? 0)]],
        },
      ],
      checks: [check('non-2xx', 'non-2xx answers and errors', failures(result), '==', 0, 'count')],
      data: result,
    };
  },
};
