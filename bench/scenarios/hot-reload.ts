import { appendFileSync, copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPolicyVariant } from '../../scripts/policy-variant.mjs';
import { BENCH_ENVIRONMENT, benchResource, MANAGER } from '../support/fixtures.js';
import { ALICE } from '../support/issuer.js';
import { BUNDLE_PATH, BUNDLE_PRIVATE_PEM, get, ROOT, type Address } from '../support/launcher.js';
import { failures, runLoad, type LoadResult } from '../support/load.js';
import { CONNECTIONS, LOAD_HEADER, loadRow, measureAt, type Measured } from '../support/measure.js';
import { check, type BenchContext, type Check, type Scenario } from '../support/scenario.js';

/** Connections of the single decisions measured beside a batch (the batch has one of its own). */
const SINGLE_CONNECTIONS = 4;
const BATCH_INPUTS = 1000;

/** Writes a bundle as `policy:build` replaces one: a new file renamed over the old. */
function install(path: string, bundle: Buffer): void {
  writeFileSync(`${path}.partial`, bundle);
  renameSync(`${path}.partial`, path);
}

async function activeRevision(address: Address): Promise<string | undefined> {
  try {
    const { body } = await get(address, '/health?bundles');
    const bundles = (JSON.parse(body) as { bundles?: Record<string, { revision?: string }> }).bundles ?? {};
    return Object.values(bundles)[0]?.revision;
  } catch {
    return undefined;
  }
}

/** Resolves true once the sidecar's active revision is `revision`, false after `timeoutMs`. */
async function activated(address: Address, revision: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await activeRevision(address)) === revision) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/**
 * 8. Hot reload under load: the sidecar's bundle file replaced by a new signed revision every
 * second while the secured read runs; then single decisions while 1,000-input batches run.
 */
export const hotReload: Scenario = {
  name: 'hot-reload',
  number: 8,
  title: 'Hot reload under load, and batches beside single decisions',
  async run(context: BenchContext) {
    const { launcher, dir, durations } = context;
    context.log('hot reload: building a second signed revision');
    // The same policies with one comment more: a new revision (content hash), the same decisions.
    const variant = buildPolicyVariant({
      into: join(dir, 'variant'),
      env: { BUNDLE_SIGNING_KEY: BUNDLE_PRIVATE_PEM },
      edit: (copy) => {
        appendFileSync(join(copy, 'policies', 'data', 'departments.yaml'), '\n# bench: another revision\n');
      },
    });
    const original = {
      wasm: readFileSync(BUNDLE_PATH),
      revision: readFileSync(join(ROOT, 'policies', 'build', 'revision.txt'), 'utf8').trim(),
    };
    mkdirSync(join(dir, 'hot'), { recursive: true });
    const bundlePath = join(dir, 'hot', 'bundle.tar.gz');
    copyFileSync(BUNDLE_PATH, bundlePath);

    context.log('hot reload: starting the stack');
    const stack = await launcher.startStack('sidecar-tcp', { bundlePath });
    const sidecar = stack.sidecar?.address ?? { port: 0 };
    const sidecarPort = 'port' in sidecar ? sidecar.port : 0;
    const headers = { authorization: `Bearer ${await context.issuer.sign(ALICE)}` };
    const read = { path: `/transactions/${context.data.transactionId}`, headers, connections: CONNECTIONS };
    let baseline: Measured;
    let reloading: Measured;
    let attempts = 0;
    let swaps = 0;
    const singles: Measured[] = [];
    const batches: { label: string; result: LoadResult }[] = [];
    try {
      baseline = await measureAt(context, 'no reloads', stack.service.port, {
        ...read,
        warmupMs: durations.warmupMs,
        durationMs: durations.reloadBaselineMs,
      });
      context.log(`hot reload: a new bundle every second for ${durations.reloadMs / 1000} s`);
      const load = runLoad(launcher, {
        ...read,
        port: stack.service.port,
        warmupMs: 0,
        durationMs: durations.reloadMs,
      });
      const progress = { done: false };
      void load.finally(() => {
        progress.done = true;
      });
      // The load generator takes a moment to start; the first bundle goes in a second after it.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      while (!progress.done) {
        const started = Date.now();
        const next = attempts % 2 === 0 ? variant : original;
        install(bundlePath, next.wasm);
        attempts += 1;
        if (await activated(sidecar, next.revision, 950)) swaps += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
      }
      reloading = { label: 'a new bundle every second', result: await load };

      const single = (i: number) => ({
        subject: MANAGER,
        action: 'transactions:approve',
        resource: benchResource(i),
        environment: BENCH_ENVIRONMENT,
      });
      const singleLoad = {
        path: '/v1/data/verdict/authz/decision',
        method: 'POST' as const,
        body: JSON.stringify({ input: single(0) }),
        connections: SINGLE_CONNECTIONS,
        warmupMs: durations.warmupMs,
        durationMs: durations.measureMs,
      };
      singles.push(await measureAt(context, 'single decisions, idle sidecar', sidecarPort, singleLoad));
      const backgrounds = [
        {
          label: `/v1/batch/data of ${BATCH_INPUTS} inputs`,
          path: '/v1/batch/data/verdict/authz/decision',
          body: {
            inputs: Object.fromEntries(Array.from({ length: BATCH_INPUTS }, (_, i) => [`i${i}`, single(i)])),
          },
        },
        {
          label: `verdict/authz/batch of ${BATCH_INPUTS} resources (one WASM call)`,
          path: '/v1/data/verdict/authz/batch',
          body: {
            input: {
              subject: MANAGER,
              action: 'transactions:list',
              resources: Array.from({ length: BATCH_INPUTS }, (_, i) => benchResource(i)),
              environment: BENCH_ENVIRONMENT,
            },
          },
        },
      ];
      for (const background of backgrounds) {
        const bodyFile = join(dir, `batch-${batches.length}.json`);
        writeFileSync(bodyFile, JSON.stringify(background.body));
        // The batches start first and outlast the singles' warm-up and measured phase.
        const running = runLoad(launcher, {
          port: sidecarPort,
          path: background.path,
          method: 'POST',
          bodyFile,
          connections: 1,
          warmupMs: 0,
          durationMs: durations.warmupMs + durations.measureMs + 3000,
        });
        singles.push(
          await measureAt(context, `single decisions during ${background.label}`, sidecarPort, singleLoad),
        );
        batches.push({ label: background.label, result: await running });
      }
    } finally {
      await stack.stop();
    }
    const [idle, chunked, oneCall] = singles as [Measured, Measured, Measured];
    const checks: Check[] = [
      check('reload-failed', 'failed requests during reloads', failures(reloading.result), '==', 0, 'count'),
      check(
        'reload-swaps',
        'bundles activated under load (of those installed)',
        swaps,
        '>=',
        attempts,
        'count',
      ),
      check(
        'reload-p99',
        'p99 with reloads / p99 without',
        reloading.result.p99Ms / baseline.result.p99Ms,
        '<=',
        2,
        'x',
      ),
      check(
        'batch-single-p99',
        `single-decision p99 during /v1/batch/data of ${BATCH_INPUTS} / idle`,
        chunked.result.p99Ms / idle.result.p99Ms,
        '<=',
        2,
        'x',
      ),
      check(
        'batch-failed',
        'failed single decisions and batches',
        singles.reduce((sum, m) => sum + failures(m.result), 0) +
          batches.reduce((sum, b) => sum + failures(b.result), 0),
        '==',
        0,
        'count',
      ),
    ];
    return {
      title: this.title,
      notes: [
        `Secured GET /transactions/{id} in sidecar mode (TCP), ${CONNECTIONS} connections: ${durations.reloadBaselineMs / 1000} s without reloads, then ${durations.reloadMs / 1000} s while the sidecar's BUNDLE_PATH is replaced (write + rename) every second, alternating two signed revisions (${original.revision}, ${variant.revision}); ${swaps} of ${attempts} installed bundles were seen active (sidecar /health?bundles) within 950 ms.`,
        `Then single decisions (${SINGLE_CONNECTIONS} connections, POST /v1/data/verdict/authz/decision straight to the sidecar) idle and while one more connection sends ${BATCH_INPUTS}-input batches back to back. The target for single decisions beside a batch is taken as the reload one (p99 ≤ 2× idle); the one-call batch of ${BATCH_INPUTS} resources is a single WASM evaluation that holds the event loop, shown with no target.`,
      ],
      tables: [
        {
          header: [...LOAD_HEADER, 'p99 vs first row'],
          rows: [baseline, reloading].map((m) => [
            ...loadRow(m),
            (m.result.p99Ms / baseline.result.p99Ms).toFixed(2),
          ]),
        },
        {
          header: [...LOAD_HEADER, 'p99 vs idle', 'batches / batch p50 ms / failed'],
          rows: singles.map((m, i) => {
            const batch = batches[i - 1];
            return [
              ...loadRow(m),
              (m.result.p99Ms / idle.result.p99Ms).toFixed(2),
              batch === undefined
                ? '–'
                : `${batch.result.requests} / ${batch.result.p50Ms.toFixed(0)} / ${failures(batch.result)}`,
            ];
          }),
        },
      ],
      checks,
      data: {
        baseline: baseline.result,
        reloading: reloading.result,
        attempts,
        swaps,
        singles,
        batches,
        oneCall: oneCall.result,
      },
    };
  },
};
