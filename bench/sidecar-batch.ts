// Single decisions while the sidecar evaluates 1,000-input batches back to back: their latency
// beside the same decisions on an idle sidecar, in one run. Batches on `/v1/batch/data` are
// evaluated in chunks with the event loop turning between them; a one-call `verdict/authz/batch`
// of 1,000 resources is a single WASM evaluation and is shown for contrast.
// Run: npm run bench -- sidecar-batch   (results: bench/results/sidecar-batch.md)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../service/test/support/prometheus.js';
import { startSidecar } from '../service/test/support/sidecar-process.js';
import { BENCH_ENVIRONMENT, benchResource, MANAGER } from './support/fixtures.js';
import type { LoadOptions, LoadResult } from './support/load.js';
import { report } from './support/results.js';
import { runLoad } from './support/run-load.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
/** Concurrent single-decision clients; batches come from one more client, one batch at a time. */
const CONCURRENCY = 4;
const BATCH_INPUTS = 1000;
/** The batch load outlasts the single-decision load, whose generator starts later. */
const BATCH_EXTRA_MS = 5000;

const environment = BENCH_ENVIRONMENT;
const subject = MANAGER;
const decisionInput = (i: number) => ({
  subject,
  action: 'transactions:approve',
  resource: benchResource(i),
  environment,
});
const json = { 'content-type': 'application/json' };
/** Batch bodies (hundreds of KB) go to the load generator as files: too large for its command line. */
const bodies = mkdtempSync(join(tmpdir(), 'verdict-bench-'));
function bodyFile(name: string, body: unknown): string {
  const path = join(bodies, `${name}.json`);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

const port = await freePort();
const sidecar = await startSidecar(port);

/** Decisions the sidecar has answered on `path` (an entrypoint), from its metrics. */
async function decisions(path: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const counted = new RegExp(`^verdict_sidecar_decisions_total\\{path="${path}",[^}]*\\} (\\d+)$`, 'gm');
  return [...text.matchAll(counted)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Resolves once decisions on `path` grow past `before`: the background load is flowing. */
async function flowing(path: string, before: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await decisions(path)) > before) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no background decisions on ${path}`);
}

const post = { port, method: 'POST', headers: json } as const;
const single: LoadOptions = {
  ...post,
  path: '/v1/data/verdict/authz/decision',
  body: JSON.stringify({ input: decisionInput(0) }),
  concurrency: CONCURRENCY,
  durationMs: DURATION_MS,
};
const backgrounds: readonly { name: string; entrypoint?: string; load?: LoadOptions }[] = [
  { name: 'none (idle sidecar)' },
  {
    name: `/v1/batch/data of ${BATCH_INPUTS} inputs, chunked`,
    entrypoint: 'verdict/authz/decision',
    load: {
      ...post,
      path: '/v1/batch/data/verdict/authz/decision',
      bodyFile: bodyFile('inputs', {
        inputs: Object.fromEntries(
          Array.from({ length: BATCH_INPUTS }, (_, i) => [`i${i}`, decisionInput(i)]),
        ),
      }),
      concurrency: 1,
      durationMs: DURATION_MS + BATCH_EXTRA_MS,
    },
  },
  {
    name: `verdict/authz/batch of ${BATCH_INPUTS} resources, one WASM call`,
    entrypoint: 'verdict/authz/batch',
    load: {
      ...post,
      path: '/v1/data/verdict/authz/batch',
      bodyFile: bodyFile('resources', {
        input: {
          subject,
          action: 'transactions:list',
          resources: Array.from({ length: BATCH_INPUTS }, (_, i) => benchResource(i)),
          environment,
        },
      }),
      concurrency: 1,
      durationMs: DURATION_MS + BATCH_EXTRA_MS,
    },
  },
];

try {
  const rows: string[] = [];
  let idleP99 = Number.NaN;
  for (const background of backgrounds) {
    let batches: Promise<LoadResult> | undefined;
    if (background.load !== undefined && background.entrypoint !== undefined) {
      const before = await decisions(background.entrypoint);
      batches = runLoad(background.load);
      await flowing(background.entrypoint, before);
    }
    const singles = await runLoad(single);
    const batch = await batches;
    if (background.load === undefined) idleP99 = singles.p99;
    rows.push(
      `| ${background.name} | ${singles.rps.toFixed(0)} | ${singles.p50.toFixed(2)} | ${singles.p99.toFixed(2)} | ${(singles.p99 / idleP99).toFixed(2)} | ${singles.errors} | ${batch === undefined ? '–' : `${batch.requests} / ${batch.p50.toFixed(0)} / ${batch.errors}`} |`,
    );
  }
  report(
    'sidecar-batch',
    `Single decisions (${CONCURRENCY} keep-alive connections) during back-to-back batches of ${BATCH_INPUTS} (1 connection), sidecar process, ${DURATION_MS / 1000} s per row`,
    [
      'background',
      'single req/s',
      'single p50 ms',
      'single p99 ms',
      'p99 vs idle',
      'single errors',
      `batches in ${(DURATION_MS + BATCH_EXTRA_MS) / 1000} s / batch p50 ms / errors`,
    ],
    rows,
  );
} finally {
  sidecar.kill('SIGTERM');
  rmSync(bodies, { recursive: true, force: true });
}
