import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { ENTRYPOINTS } from '../../src/contract/entrypoints.js';
import type { DecisionLogEvent, DecisionLogSink } from '../../src/decision-log/decision-logger.js';
import { compareOutcomes } from '../../src/impact/change.js';
import { outcomeOf, resourceCount } from '../../src/impact/outcome.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { REAL_BUNDLE, REAL_KEYS } from '../console/console-fixtures.js';
import { tempDir } from '../helpers/opa.js';
import { buildSignedBundle, keyPair, post, startTestSidecar } from '../helpers/sidecar.js';
import { shadowCases, writeCandidate } from './candidate.js';

// The sidecar with SHADOW_BUNDLE_PATH: the real signed bundle decides, a candidate with a lower
// manager approval limit (signed with the same development key) runs in shadow. Every decision-table
// input goes through the Data API at once (single decisions, batches, list filters).

const PATHS = {
  decision: ENTRYPOINTS.decision,
  batch: ENTRYPOINTS.batch,
  list_filter: ENTRYPOINTS.listFilter,
};

let dir: { path: string; remove: () => Promise<void> };
let candidate: { path: string; revision: string };
const cleanups: (() => Promise<unknown>)[] = [];

function capture(events: DecisionLogEvent[]): () => DecisionLogSink[] {
  return () => [
    {
      name: 'test',
      write: (event) => {
        events.push(event);
      },
      close: () => Promise.resolve(),
    },
  ];
}

async function counter(sidecar: RunningSidecar, name: string): Promise<Map<string, number>> {
  const metric = sidecar.metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const values = new Map<string, number>();
  for (const { labels, value } of (await metric.get()).values) {
    const key = Object.entries(labels)
      .map(([label, v]) => `${label}=${String(v)}`)
      .join(',');
    values.set(key, (values.get(key) ?? 0) + value);
  }
  return values;
}

test.before(async () => {
  dir = await tempDir();
  cleanups.push(() => dir.remove());
  candidate = await writeCandidate(dir.path);
});

test.after.always(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('under concurrent load the answers are the active bundle’s; every disagreement is counted and logged with both results and revisions', async (t) => {
  const events: DecisionLogEvent[] = [];
  const sidecar = await startTestSidecar(
    { BUNDLE_PATH: REAL_BUNDLE, BUNDLE_PUBLIC_KEYS: REAL_KEYS, SHADOW_BUNDLE_PATH: candidate.path },
    { decisionLogSinks: capture(events) },
  );
  cleanups.push(() => sidecar.close());
  const shadow = sidecar.shadow;
  if (shadow === undefined) throw new Error('no shadow evaluator');
  t.is(shadow.status().revision, candidate.revision);
  const active = sidecar.manager.engine!;
  const candidateEngine = shadow.manager.engine!;
  t.not(active.revision, candidate.revision);

  const { cases, approval } = shadowCases();
  const answers = await Promise.all(
    cases.map((c) => post(sidecar.url, `/v1/data/${PATHS[c.entrypoint]}`, { input: c.input })),
  );
  const expected = new Map<string, number>();
  let disagreeing = 0;
  cases.forEach((c, i) => {
    const path = PATHS[c.entrypoint];
    const answer = answers[i]!;
    t.is(answer.status, 200, c.name);
    // What the caller got is exactly the active bundle's answer, never the candidate's.
    t.deepEqual(answer.body.result, active.evaluate(path, c.input), c.name);
    const n = resourceCount(c.input);
    const changes = compareOutcomes(
      outcomeOf(path, active.evaluate(path, c.input), n),
      outcomeOf(path, candidateEngine.evaluate(path, c.input), n),
    );
    if (changes.length > 0) disagreeing++;
    for (const { change } of changes)
      for (const kind of change.kinds) {
        const key = `action=${c.input.action as string},kind=${kind}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
  });
  const approvalAnswer = answers[cases.indexOf(approval)]!;
  t.true(approvalAnswer.body.result.allow, 'the active bundle allows the approval');
  t.true(disagreeing > 0);

  await shadow.idle();
  await sidecar.decisionLogger.close();
  t.deepEqual(await counter(sidecar, 'verdict_shadow_disagreements_total'), expected);
  const evaluations = await counter(sidecar, 'verdict_shadow_evaluations_total');
  t.is(evaluations.get('outcome=disagree'), disagreeing);
  t.is(evaluations.get('outcome=agree'), cases.length - disagreeing);

  const disagreements = events.filter((event) => event.shadow !== undefined);
  t.is(disagreements.length, disagreeing);
  t.is(events.length, cases.length + disagreeing);
  const logged = disagreements.find(
    (event) =>
      event.path === ENTRYPOINTS.decision && JSON.stringify(event.input) === JSON.stringify(approval.input),
  );
  if (logged === undefined) throw new Error('the approval’s disagreement was not logged');
  t.deepEqual(logged.bundles, { verdict: { revision: active.revision } });
  t.is((logged.result as { allow: boolean }).allow, true);
  t.is(logged.shadow?.revision, candidate.revision);
  t.is((logged.shadow?.result as { allow: boolean }).allow, false);
  t.true(
    (logged.shadow?.result as { reasons: { code: string }[] }).reasons.some(
      (r) => r.code === 'approval_limit_exceeded',
    ),
  );
  t.true(logged.shadow?.kinds.includes('allow_to_deny'));
});

test('/health?bundles shows the active and the shadow revision; evaluateBoth puts them side by side', async (t) => {
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: REAL_BUNDLE,
    BUNDLE_PUBLIC_KEYS: REAL_KEYS,
    SHADOW_BUNDLE_PATH: candidate.path,
    SHADOW_SAMPLE: '0.5',
  });
  cleanups.push(() => sidecar.close());
  const response = await fetch(`${sidecar.url}/health?bundles`);
  t.is(response.status, 200);
  const body = (await response.json()) as any;
  t.is(body.bundles.verdict.revision, sidecar.manager.active?.revision);
  t.true(body.bundles.verdict.signed);
  t.is(body.shadow.revision, candidate.revision);
  t.true(body.shadow.signed);
  t.is(body.shadow.sample, 0.5);
  t.is(body.shadow.last_error, undefined);
  t.deepEqual(Object.keys(body.bundles), ['verdict']);

  const { approval } = shadowCases();
  const both = sidecar.shadow!.evaluateBoth(ENTRYPOINTS.decision, approval.input);
  t.is(both.active.revision, sidecar.manager.active?.revision ?? null);
  t.is(both.shadow?.revision, candidate.revision);
  t.true((both.active.result as { allow: boolean }).allow);
  t.false((both.shadow?.result as { allow: boolean }).allow);
  t.true(both.kinds.includes('allow_to_deny'));
  t.false(both.same);
});

test('a broken shadow bundle changes nothing for callers: health stays 200, answers are the active bundle’s, the error is shown', async (t) => {
  const broken = join(dir.path, 'broken.tar.gz');
  await writeFile(broken, 'not a bundle');
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: REAL_BUNDLE,
    BUNDLE_PUBLIC_KEYS: REAL_KEYS,
    SHADOW_BUNDLE_PATH: broken,
  });
  cleanups.push(() => sidecar.close());
  const response = await fetch(`${sidecar.url}/health?bundles`);
  t.is(response.status, 200);
  const body = (await response.json()) as any;
  t.is(body.shadow.revision, null);
  t.false(body.shadow.signed);
  t.is(typeof body.shadow.last_error.reason, 'string');
  t.is(sidecar.shadow?.status().loaded, false);

  const { approval } = shadowCases();
  const answer = await post(sidecar.url, `/v1/data/${ENTRYPOINTS.decision}`, { input: approval.input });
  t.is(answer.status, 200);
  t.deepEqual(answer.body.result, sidecar.manager.engine!.evaluate(ENTRYPOINTS.decision, approval.input));
  await sidecar.shadow!.idle();
  t.is((await counter(sidecar, 'verdict_shadow_dropped_total')).get('reason=no_bundle'), 1);
  t.is((await counter(sidecar, 'verdict_shadow_disagreements_total')).size, 0);
});

test('a shadow bundle signed by a key not in BUNDLE_PUBLIC_KEYS is refused, as the active one would be', async (t) => {
  const { privatePath } = await keyPair(dir.path, 'stranger', 'ES256');
  const stranger = await buildSignedBundle(dir.path, {
    privatePath,
    algorithm: 'ES256',
    keyId: 'verdict-d03754d2d7549912',
  });
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: REAL_BUNDLE,
    BUNDLE_PUBLIC_KEYS: REAL_KEYS,
    SHADOW_BUNDLE_PATH: stranger,
  });
  cleanups.push(() => sidecar.close());
  const status = sidecar.shadow!.status();
  t.false(status.loaded);
  t.regex(status.error?.reason ?? '', /^signature_/);
  t.is((await fetch(`${sidecar.url}/health?bundles`)).status, 200);
});
