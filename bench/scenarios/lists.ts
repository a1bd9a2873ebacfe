import { ALICE } from '../support/issuer.js';
import type { StackKind } from '../support/launcher.js';
import {
  LOAD_HEADER,
  loadNote,
  loadRow,
  measure,
  noFailures,
  once,
  started,
  steady,
  type Started,
} from '../support/measure.js';
import { check, type BenchContext, type Scenario } from '../support/scenario.js';

const PATH = '/transactions?limit=100';

/** Starts a server and makes sure its first page holds 100 rows, so every row measures the same page. */
function withPage(start: () => Promise<Started>, headers: Record<string, string>): () => Promise<Started> {
  return async () => {
    const server = await start();
    const { status, body } = await once(server.port, PATH, { headers });
    const items = status === 200 ? (JSON.parse(body) as { items?: unknown[] }).items?.length : undefined;
    if (items !== 100) {
      await server.stop();
      throw new Error(`${PATH} answered ${status} with ${String(items)} items: ${body.slice(0, 200)}`);
    }
    return server;
  };
}

/**
 * 6. Lists: a page of 100 through list_filter and batch (with redaction) against the same page
 * selected with no policy at all.
 */
export const lists: Scenario = {
  name: 'lists',
  number: 6,
  title: 'Lists: a page of 100',
  async run(context: BenchContext) {
    const { launcher } = context;
    const headers = { authorization: `Bearer ${await context.issuer.sign(ALICE)}` };
    const load = steady(context, { path: PATH, headers });
    const plain = await measure(
      context,
      'no policy (minimal reference list)',
      withPage(async () => started(await launcher.startBenchServer('minimal-reference')), headers),
      load,
    );
    const secured = [];
    for (const [kind, label] of [
      ['embedded', 'Verdict embedded'],
      ['sidecar-tcp', 'Verdict sidecar mode over TCP'],
    ] as [StackKind, string][]) {
      secured.push(
        await measure(
          context,
          label,
          withPage(async () => started(await launcher.startStack(kind)), headers),
          load,
        ),
      );
    }
    const [embedded, sidecar] = secured as [(typeof secured)[0], (typeof secured)[0]];
    return {
      title: this.title,
      notes: [
        loadNote(context),
        `GET ${PATH} as alice (warm token): the same 100 newest rows of hers. No policy: the minimal reference's token Map and one prepared SELECT by owner. Verdict: the collection decision, list_filter, the keyset query, one batch of 100 decisions and redaction.`,
      ],
      tables: [
        {
          header: [...LOAD_HEADER, 'vs no policy'],
          rows: [plain, embedded, sidecar].map((m) => [
            ...loadRow(m),
            (m.result.rps / plain.result.rps).toFixed(2),
          ]),
        },
      ],
      checks: [
        check(
          'embedded-page',
          'embedded page / no-policy page req/s',
          embedded.result.rps / plain.result.rps,
          '>=',
          0.5,
          'x',
        ),
        check(
          'sidecar-page',
          'sidecar-mode page / no-policy page req/s',
          sidecar.result.rps / plain.result.rps,
          '>=',
          0.5,
          'x',
        ),
        noFailures([plain, embedded, sidecar]),
      ],
      data: { plain: plain.result, embedded: embedded.result, sidecar: sidecar.result },
    };
  },
};
