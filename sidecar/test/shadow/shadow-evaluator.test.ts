import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import test from 'ava';
import { createApp } from '../../src/app.js';
import { BundleManager } from '../../src/bundle/bundle-manager.js';
import { ENTRYPOINTS } from '../../src/contract/entrypoints.js';
import {
  DecisionLogger,
  parseMaskSpec,
  SIDECAR_VERSION,
  type DecisionLogEvent,
} from '../../src/decision-log/decision-logger.js';
import type { DecisionRecord, Engine } from '../../src/engine.js';
import { loadCandidate } from '../../src/impact/candidate.js';
import { analyzeImpact } from '../../src/impact/impact.js';
import { createLogger } from '../../src/logger.js';
import { SidecarMetrics } from '../../src/metrics.js';
import { ShadowEvaluator } from '../../src/shadow/shadow-evaluator.js';
import { REAL_BUNDLE } from '../console/console-fixtures.js';
import { tempDir } from '../helpers/opa.js';
import { post } from '../helpers/sidecar.js';
import { shadowCases, writeCandidate } from './candidate.js';

// The evaluator on its own parts: the real signed bundle as the active one, the lowered-limit
// candidate as the shadow (unverified here: signatures are the manager's, tested elsewhere).

let dir: { path: string; remove: () => Promise<void> };
let activeBytes: Buffer;
let candidateBytes: Buffer;
let candidatePath: string;

test.before(async () => {
  dir = await tempDir();
  candidatePath = (await writeCandidate(dir.path)).path;
  [activeBytes, candidateBytes] = await Promise.all([readFile(REAL_BUNDLE), readFile(candidatePath)]);
});

test.after.always(() => dir.remove());

/** A shadow manager whose engine is `wrap` of the candidate's (slow, failing). */
class WrappedManager extends BundleManager {
  constructor(private readonly wrap: (engine: Engine) => Engine) {
    super({ name: 'shadow' });
  }

  override get engine(): Engine | undefined {
    const engine = super.engine;
    return engine === undefined ? undefined : this.wrap(engine);
  }
}

function slow(engine: Engine): Engine {
  return Object.create(engine, {
    evaluate: {
      value: (path: string, input: unknown): unknown => {
        const until = performance.now() + 2;
        while (performance.now() < until) {
          // Busy: a shadow bundle that takes 2 ms a decision.
        }
        return engine.evaluate(path, input);
      },
    },
  }) as Engine;
}

function failing(engine: Engine): Engine {
  return Object.create(engine, {
    evaluate: {
      value: (): unknown => {
        throw new Error('the shadow engine broke');
      },
    },
  }) as Engine;
}

interface Rig {
  readonly active: BundleManager;
  readonly shadow: ShadowEvaluator;
  readonly metrics: SidecarMetrics;
  readonly events: DecisionLogEvent[];
  readonly logger: DecisionLogger;
}

async function rig(
  options: {
    shadowManager?: BundleManager;
    sample?: number;
    random?: () => number;
    maxQueue?: number;
    mask?: string;
    logLines?: string[];
  } = {},
): Promise<Rig> {
  const metrics = new SidecarMetrics();
  const events: DecisionLogEvent[] = [];
  const logger = new DecisionLogger({
    sinks: [{ name: 'test', write: (event) => events.push(event), close: () => Promise.resolve() }],
    bundleName: 'verdict',
    mask: parseMaskSpec(options.mask ?? ''),
  });
  // The active engine's hook needs the evaluator, and the evaluator the active manager.
  const late: { shadow?: ShadowEvaluator } = {};
  const active = new BundleManager({
    engineOptions: {
      onDecision: (record) => {
        logger.log(record);
        late.shadow?.offer(record);
      },
    },
  });
  t_ok(await active.activate(activeBytes, 'active'));
  const shadowManager = options.shadowManager ?? new BundleManager({ name: 'shadow' });
  t_ok(await shadowManager.activate(candidateBytes, 'candidate'));
  const shadow = new ShadowEvaluator({
    manager: shadowManager,
    active,
    sample: options.sample ?? 1,
    log: logger.listener,
    metrics,
    ...(options.random === undefined ? {} : { random: options.random }),
    ...(options.maxQueue === undefined ? {} : { maxQueue: options.maxQueue }),
    ...(options.logLines === undefined
      ? {}
      : { logger: createLogger('info', (line) => options.logLines?.push(line)) }),
  });
  late.shadow = shadow;
  return { active, shadow, metrics, events, logger };
}

function t_ok(value: boolean): void {
  if (!value) throw new Error('the bundle was refused');
}

async function count(metrics: SidecarMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

async function serve(
  active: BundleManager,
  metrics: SidecarMetrics,
): Promise<{ base: string; server: Server }> {
  const server = createServer(
    createApp({ manager: active, metrics, version: SIDECAR_VERSION, batchMaxInputs: 1000 }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function approvalRecord(rig: Rig): DecisionRecord {
  const { approval } = shadowCases();
  const engine = rig.active.engine!;
  return {
    decisionId: 'd-1',
    path: ENTRYPOINTS.decision,
    input: approval.input,
    result: engine.evaluate(ENTRYPOINTS.decision, approval.input),
    revision: engine.revision,
    timestamp: new Date('2026-11-23T10:00:00Z'),
    evalNs: 1000,
  };
}

test('the queue is bounded: offers beyond it are dropped and counted, never waited for', async (t) => {
  const r = await rig({ maxQueue: 3 });
  const record = approvalRecord(r);
  for (let i = 0; i < 5; i++) r.shadow.offer({ ...record, decisionId: `d-${i}` });
  t.is(r.shadow.pending, 3);
  t.is(await count(r.metrics, 'verdict_shadow_dropped_total', { reason: 'queue_full' }), 2);
  await r.shadow.idle();
  t.is(r.shadow.pending, 0);
  t.is(await count(r.metrics, 'verdict_shadow_evaluations_total', { outcome: 'disagree' }), 3);
  t.is(
    await count(r.metrics, 'verdict_shadow_disagreements_total', {
      action: 'transactions:approve',
      kind: 'allow_to_deny',
    }),
    3,
  );
});

test('SHADOW_SAMPLE: 0 shadows nothing; 0.5 shadows the decisions random() puts below it', async (t) => {
  const none = await rig({ sample: 0 });
  for (let i = 0; i < 4; i++) none.shadow.offer(approvalRecord(none));
  t.is(none.shadow.pending, 0);
  const draws = [0.1, 0.9, 0.49, 0.5];
  const half = await rig({ sample: 0.5, random: () => draws.shift() ?? 1 });
  for (let i = 0; i < 4; i++) half.shadow.offer(approvalRecord(half));
  t.is(half.shadow.pending, 2);
  await half.shadow.idle();
  t.is(await count(half.metrics, 'verdict_shadow_evaluations_total', {}), 2);
});

test('a disagreement’s own record is not shadowed again, and close() evaluates what is queued', async (t) => {
  const r = await rig();
  const record = approvalRecord(r);
  r.shadow.offer({ ...record, shadow: { revision: 'x', result: undefined, kinds: ['outcome'] } });
  t.is(r.shadow.pending, 0);
  r.shadow.offer(record);
  await r.shadow.close();
  t.is(r.shadow.pending, 0);
  t.is(await count(r.metrics, 'verdict_shadow_evaluations_total', {}), 1);
  r.shadow.offer(record);
  t.is(r.shadow.pending, 0, 'a closed evaluator takes nothing');
});

for (const [name, wrap] of [
  ['slow', slow],
  ['failing', failing],
] as const) {
  test(`a ${name} shadow bundle changes nothing for callers under concurrent load`, async (t) => {
    const shadowManager = new WrappedManager(wrap);
    const logLines: string[] = [];
    const r = await rig({ shadowManager, logLines });
    const { base, server } = await serve(r.active, r.metrics);
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { cases } = shadowCases();
    const decisions = cases.filter((c) => c.entrypoint === 'decision').slice(0, 60);
    const batch = cases.find((c) => c.entrypoint === 'batch')!;
    const answers = await Promise.all([
      ...decisions.map((c) => post(base, `/v1/data/${ENTRYPOINTS.decision}`, { input: c.input })),
      post(base, `/v1/batch/data/${ENTRYPOINTS.decision}`, {
        inputs: Object.fromEntries(decisions.slice(0, 10).map((c, i) => [`i${i}`, c.input])),
      }),
      post(base, `/v1/data/${ENTRYPOINTS.batch}`, { input: batch.input }),
    ]);
    const engine = r.active.engine!;
    decisions.forEach((c, i) => {
      t.is(answers[i]!.status, 200);
      t.deepEqual(answers[i]!.body.result, engine.evaluate(ENTRYPOINTS.decision, c.input), c.name);
    });
    const batched = answers[decisions.length]!;
    t.is(batched.status, 200);
    t.deepEqual(batched.body.responses.i0.result, engine.evaluate(ENTRYPOINTS.decision, decisions[0]!.input));
    t.deepEqual(answers[decisions.length + 1]!.body.result, engine.evaluate(ENTRYPOINTS.batch, batch.input));

    await r.shadow.idle();
    const shadowed = decisions.length + 10 + 1;
    t.is(await count(r.metrics, 'verdict_shadow_evaluations_total', {}), shadowed);
    if (name === 'failing') {
      t.is(await count(r.metrics, 'verdict_shadow_errors_total', { code: 'evaluation_failed' }), shadowed);
      await r.logger.close();
      const logged = r.events.filter((event) => event.shadow !== undefined);
      t.is(
        logged.length,
        shadowed,
        'every failed shadow evaluation is a disagreement (the candidate would 503)',
      );
      t.is(logged[0]?.shadow?.error?.code, 'evaluation_failed');
      t.deepEqual(logged[0]?.shadow?.kinds, ['outcome']);
      t.is(logLines.length, 1, 'one warning a minute, not one per failure');
      t.like(JSON.parse(logLines[0]!), { level: 40, bundle: 'shadow', code: 'evaluation_failed' });
      t.false(logLines[0]!.includes('alice'), 'no input in the warning');
    } else t.is(await count(r.metrics, 'verdict_shadow_errors_total', {}), 0);
  });
}

test('the shadow result is masked like the active one, its erased pointers under /shadow', async (t) => {
  const r = await rig({ mask: 'result.reasons' });
  r.shadow.offer(approvalRecord(r));
  await r.shadow.idle();
  await r.logger.close();
  t.is(r.events.length, 1, 'the record was offered directly, so only its disagreement is logged');
  const [disagreement] = r.events;
  t.truthy(disagreement?.shadow);
  t.is((disagreement?.shadow?.result as { reasons?: unknown }).reasons, undefined);
  t.is((disagreement?.shadow?.result as { allow: boolean }).allow, false);
  t.true(disagreement?.erased?.includes('/result/reasons'));
  t.true(disagreement?.erased?.includes('/shadow/result/reasons'));
});

test('evaluateBoth without a loaded shadow bundle gives the active answer and shadow null', async (t) => {
  const r = await rig();
  const empty = new ShadowEvaluator({
    manager: new BundleManager(),
    active: r.active,
    sample: 1,
    log: () => undefined,
  });
  const { approval } = shadowCases();
  const both = empty.evaluateBoth(ENTRYPOINTS.decision, approval.input);
  t.is(both.shadow, null);
  t.is(both.same, null);
  t.true((both.active.result as { allow: boolean }).allow);
  t.false(empty.status().loaded);
  const agreeing = r.shadow.evaluateBoth(ENTRYPOINTS.listFilter, approval.input);
  t.true(agreeing.same);
  t.deepEqual(agreeing.kinds, []);
});

test('policy:impact skips shadow disagreement events: the decision they repeat is replayed once', async (t) => {
  const r = await rig();
  r.active.engine!.decide(shadowCases().approval.input as never);
  await r.shadow.idle();
  await r.logger.close();
  t.is(r.events.length, 2);
  const log = join(dir.path, 'with-shadow.jsonl');
  await writeFile(log, r.events.map((event) => JSON.stringify(event)).join('\n') + '\n');
  const report = await analyzeImpact({ candidate: await loadCandidate(candidatePath), log });
  t.is(report.log.events, 1);
  t.is(report.log.skipped.shadow_disagreement, 1);
  t.is(report.summary.changed, 1);
});

test('the shadow evaluates after the answer: decide() returns with its record only queued', async (t) => {
  const r = await rig();
  const { approval } = shadowCases();
  const answer = r.active.engine!.decide(approval.input as never);
  t.true(answer.decision.allow);
  t.is(r.shadow.pending, 1, 'queued, not evaluated, when the caller gets its answer');
  t.is(await count(r.metrics, 'verdict_shadow_evaluations_total', {}), 0);
  await r.shadow.idle();
  t.is(await count(r.metrics, 'verdict_shadow_evaluations_total', { outcome: 'disagree' }), 1);
});
