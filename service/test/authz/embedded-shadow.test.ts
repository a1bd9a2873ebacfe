import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadPolicyEngineConfig } from '@verdict/sidecar/policy-engine';
import { buildPolicyVariant } from '../../../scripts/policy-variant.mjs';
import { startEmbeddedPdp } from '../../src/authz/embedded-pdp.js';
import { createLogger } from '../../src/logger.js';
import { BUNDLE_PATH, Harness, NEW_TRANSACTION } from '../support/harness.js';

// Shadow mode in PDP_MODE=embedded: the service's own policy engine loads SHADOW_BUNDLE_PATH
// beside BUNDLE_PATH (both signed with the development key), evaluates every decision again on it
// after the answer, and logs and counts where it differs. The candidate redacts a customer's
// counterparty account; the real bundle does not, and it alone decides what the caller gets.

const root = join(import.meta.dirname, '..', '..', '..');
const DEV_KEYS = join(root, 'data', 'bundle-signing', 'keys.json');
const DEV_PRIVATE_KEY = join(root, 'data', 'bundle-signing', 'private.pem');

const dir = mkdtempSync(join(tmpdir(), 'verdict-embedded-shadow-'));
test.after.always(() => {
  rmSync(dir, { recursive: true, force: true });
});

const candidate = buildPolicyVariant({
  into: join(dir, 'variant'),
  env: { BUNDLE_SIGNING_KEY: DEV_PRIVATE_KEY },
  edit: (copy) => {
    const file = join(copy, 'policies', 'data', 'roles.yaml');
    const yaml = readFileSync(file, 'utf8');
    const edited = yaml.replace(
      /(customer:\n(?:.*\n)*?) {2}redact: \[\]\n/,
      '$1  redact:\n    - counterparty.account\n',
    );
    if (edited === yaml) throw new Error('roles.yaml no longer has the customer’s empty redact');
    writeFileSync(file, edited);
  },
});
const candidatePath = join(dir, 'candidate.tar.gz');
writeFileSync(candidatePath, candidate.wasm);

async function counter(registry: { getSingleMetric(name: string): any }, name: string, labels: object) {
  const values = (await registry.getSingleMetric(name).get()).values as {
    labels: Record<string, string>;
    value: number;
  }[];
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

test('embedded: answers are the active bundle’s, each disagreement is counted and logged, /health/ready shows both revisions', async (t) => {
  const decisionLog = join(dir, 'decisions.jsonl');
  const config = loadPolicyEngineConfig({
    BUNDLE_PATH,
    BUNDLE_PUBLIC_KEYS: DEV_KEYS,
    SHADOW_BUNDLE_PATH: candidatePath,
    DECISION_LOG: `file:${decisionLog}`,
  });
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    }),
  );
  const pdp = await startEmbeddedPdp(config, logger, { fileDebounceMs: 20 });
  const h = await Harness.start({ authorizer: pdp.authorizer, readiness: [pdp.readiness] });
  t.teardown(async () => {
    await h.stop();
    await pdp.engine.close();
  });
  const shadow = pdp.engine.shadow;
  if (shadow === undefined) throw new Error('SHADOW_BUNDLE_PATH gave no shadow evaluator');
  t.is(shadow.status().revision, candidate.revision);

  const token = await h.token();
  const created = await h.request('POST', '/transactions', { token, body: NEW_TRANSACTION });
  t.is(created.status, 201, created.text);
  const id = created.body.id as string;
  const reads = await Promise.all(
    Array.from({ length: 20 }, () => h.request('GET', `/transactions/${id}`, { token })),
  );
  for (const read of reads) {
    t.is(read.status, 200);
    t.is(read.body.counterparty.account, 'DE001', 'the active bundle, which redacts nothing, decided');
  }
  const list = await h.request('GET', '/transactions', { token });
  t.is(list.status, 200);
  t.is(list.body.items[0]?.counterparty.account, 'DE001');

  await shadow.idle();
  const registry = pdp.engine.metrics.registry;
  t.is(
    await counter(registry, 'verdict_shadow_disagreements_total', {
      action: 'transactions:read',
      kind: 'redaction',
    }),
    20,
  );
  t.true(
    (await counter(registry, 'verdict_shadow_disagreements_total', {
      action: 'transactions:list',
      kind: 'redaction',
    })) >= 1,
    'the list page’s batch check, element by element',
  );
  t.is(await counter(registry, 'verdict_shadow_errors_total', {}), 0);

  await pdp.engine.decisionLogger.close();
  const events = readFileSync(decisionLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, any>);
  const disagreement = events.find(
    (event) => event.shadow !== undefined && event.input?.action === 'transactions:read',
  );
  t.truthy(disagreement);
  t.is(disagreement?.bundles.verdict.revision, pdp.engine.manager.active?.revision);
  t.deepEqual(disagreement?.result.redact, []);
  t.is(disagreement?.shadow.revision, candidate.revision);
  t.deepEqual(disagreement?.shadow.result.redact, ['counterparty.account']);
  t.deepEqual(disagreement?.shadow.kinds, ['redaction']);
  t.false(readFileSync(decisionLog, 'utf8').includes(token), 'no token in the decision log');

  const ready = await h.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.is(ready.body.checks.policy_bundle.revision, pdp.engine.manager.active?.revision);
  t.is(ready.body.checks.policy_bundle.shadow.revision, candidate.revision);
  t.true(ready.body.checks.policy_bundle.shadow.signed);
  const started = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.pdp_mode === 'embedded');
  t.is(started?.shadow_revision, candidate.revision);
});

test('embedded: a shadow bundle that cannot be read leaves the service ready and its answers alone', async (t) => {
  const config = loadPolicyEngineConfig({
    BUNDLE_PATH,
    BUNDLE_PUBLIC_KEYS: DEV_KEYS,
    SHADOW_BUNDLE_PATH: join(dir, 'missing.tar.gz'),
    DECISION_LOG: 'off',
  });
  const pdp = await startEmbeddedPdp(config, createLogger('silent'), { fileDebounceMs: 20 });
  const h = await Harness.start({ authorizer: pdp.authorizer, readiness: [pdp.readiness] });
  t.teardown(async () => {
    await h.stop();
    await pdp.engine.close();
  });
  const ready = await h.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.is(ready.body.checks.policy_bundle.shadow.loaded, false);
  t.is(ready.body.checks.policy_bundle.shadow.error.reason, 'unreadable');
  const token = await h.token();
  const created = await h.request('POST', '/transactions', { token, body: NEW_TRANSACTION });
  t.is(created.status, 201, created.text);
  const read = await h.request('GET', `/transactions/${created.body.id as string}`, { token });
  t.is(read.status, 200);
  t.is(read.body.counterparty.account, 'DE001');
});
