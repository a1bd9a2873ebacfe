import { ALICE } from '../support/issuer.js';
import type { StackKind } from '../support/launcher.js';
import {
  LOAD_HEADER,
  loadNote,
  loadRow,
  measure,
  noFailures,
  started,
  steady,
  type Measured,
} from '../support/measure.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';

const STACKS: readonly [StackKind, string][] = [
  ['embedded', 'Verdict embedded (PDP_MODE=embedded)'],
  ['sidecar-tcp', 'Verdict sidecar mode over TCP'],
  ['sidecar-unix', 'Verdict sidecar mode over a Unix socket'],
];

/**
 * 1. The price of security: bare Koa, the minimal reference (Koa, jose with a Map of verified
 * tokens, one prepared read, one Engine.decide) and the secured `GET /transactions/{id}` in
 * embedded and sidecar mode — same row, same warm token.
 */
export const priceOfSecurity: Scenario = {
  name: 'price-of-security',
  number: 1,
  title: 'Price of security',
  async run(context: BenchContext) {
    const { launcher, data } = context;
    const headers = { authorization: `Bearer ${await context.issuer.sign(ALICE)}` };
    const path = `/transactions/${data.transactionId}`;
    const bare = await measure(
      context,
      'bare Koa hello',
      async () => started(await launcher.startBenchServer('bare-koa')),
      steady(context, { path: '/' }),
    );
    const minimal = await measure(
      context,
      'minimal reference',
      async () => started(await launcher.startBenchServer('minimal-reference')),
      steady(context, { path, headers }),
    );
    const stacks: Measured[] = [];
    for (const [kind, label] of STACKS) {
      stacks.push(
        await measure(
          context,
          label,
          async () => started(await launcher.startStack(kind)),
          steady(context, { path, headers }),
        ),
      );
    }
    const [embedded, tcp, unix] = stacks as [Measured, Measured, Measured];
    const rps = (m: Measured) => m.result.rps;
    const rows = [bare, minimal, ...stacks];
    return {
      title: this.title,
      notes: [
        loadNote(context),
        `GET /transactions/{id} of the same row with the same warm ES256 token (bare Koa: GET / answering {"hello":"world"}).`,
        'Service: LOG_LEVEL=warn (no request log lines), DECISION_LOG=off, bundle signature verified, rate limit 1,000,000/min; sidecar the same.',
      ],
      tables: [
        {
          header: [...LOAD_HEADER, 'vs bare Koa', 'vs minimal', 'vs embedded'],
          rows: rows.map((m) => [
            ...loadRow(m),
            (rps(m) / rps(bare)).toFixed(2),
            (rps(m) / rps(minimal)).toFixed(2),
            (rps(m) / rps(embedded)).toFixed(2),
          ]),
        },
      ],
      checks: [
        check(
          'embedded-vs-minimal',
          'embedded / minimal reference req/s',
          rps(embedded) / rps(minimal),
          '>=',
          0.9,
          'x',
        ),
        check('embedded-vs-bare', 'embedded / bare Koa req/s', rps(embedded) / rps(bare), '>=', 0.25, 'x'),
        check(
          'sidecar-tcp-vs-embedded',
          'sidecar over TCP / embedded req/s',
          rps(tcp) / rps(embedded),
          '>=',
          0.8,
          'x',
        ),
        check(
          'sidecar-unix-vs-embedded',
          'sidecar over a Unix socket / embedded req/s',
          rps(unix) / rps(embedded),
          '>=',
          0.8,
          'x',
        ),
        noFailures(rows),
      ],
      data: Object.fromEntries(rows.map((m) => [m.label, m.result])),
    };
  },
};
