import { ALICE } from '../support/issuer.js';
import { failures, runLoad, type LoadResult } from '../support/load.js';
import { CONNECTIONS, expectOk, failedCell } from '../support/measure.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';

const MiB = 2 ** 20;
/** The longest the second phase may run before it is stopped short of its count (and says so). */
const CAP_MS = 300_000;

/** Resident memory once the process has been idle a moment. */
async function settledRss(rss: () => number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return rss();
}

/**
 * 9. Memory: the service's resident set after 100 k and after 1 M secured reads (embedded mode, so
 * the engine's memory is the service's); growth between the two below 5 %.
 */
export const memory: Scenario = {
  name: 'memory',
  number: 9,
  title: 'Memory under sustained load',
  async run(context: BenchContext) {
    const { launcher, durations } = context;
    context.log('memory: starting the stack');
    const stack = await launcher.startStack('embedded');
    const path = `/transactions/${context.data.transactionId}`;
    const headers = { authorization: `Bearer ${await context.issuer.sign(ALICE)}` };
    const base = { port: stack.service.port, path, headers, connections: CONNECTIONS, warmupMs: 0 };
    const rss = () => stack.service.proc.rssBytes();
    let started: number;
    let first: LoadResult;
    let rest: LoadResult;
    let afterFirst: number;
    let afterAll: number;
    try {
      await expectOk('service', stack.service.port, path, { headers });
      started = rss();
      context.log(`memory: ${durations.memoryFirst} requests`);
      first = await runLoad(launcher, { ...base, amount: durations.memoryFirst });
      afterFirst = await settledRss(rss);
      context.log(`memory: ${durations.memoryTotal - durations.memoryFirst} more`);
      rest = await runLoad(launcher, {
        ...base,
        amount: durations.memoryTotal - durations.memoryFirst,
        capMs: CAP_MS,
      });
      afterAll = await settledRss(rss);
    } finally {
      await stack.stop();
    }
    const total = first.requests + rest.requests;
    const growth = ((afterAll - afterFirst) / afterFirst) * 100;
    const mib = (bytes: number) => (bytes / MiB).toFixed(1);
    return {
      title: this.title,
      notes: [
        `The service in embedded mode, GET /transactions/{id} with a warm token, ${CONNECTIONS} connections; resident set (VmRSS) read 1 s after each phase.`,
        ...(rest.capped === true
          ? [
              `The second phase was stopped after ${CAP_MS / 1000} s, ${total} requests in all instead of ${durations.memoryTotal}.`,
            ]
          : []),
      ],
      tables: [
        {
          header: ['after', 'requests', 'req/s', 'RSS MiB', 'failed'],
          rows: [
            ['start (one request)', '1', '–', mib(started), '0'],
            ['first phase', String(first.requests), first.rps.toFixed(0), mib(afterFirst), failedCell(first)],
            ['second phase', String(total), rest.rps.toFixed(0), mib(afterAll), failedCell(rest)],
          ],
        },
      ],
      checks: [
        check('rss-growth', `RSS growth from ${first.requests} to ${total} requests`, growth, '<=', 5, '%'),
        check('memory-failed', 'failed requests', failures(first) + failures(rest), '==', 0, 'count'),
      ],
      data: { started, afterFirst, afterAll, first, rest, total },
    };
  },
};
