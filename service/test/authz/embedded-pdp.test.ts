import test from 'ava';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import type { BundleRefusal, BundleSwap } from '@verdict/sidecar/policy-engine';
import { loadPolicyEngineConfig } from '@verdict/sidecar/policy-engine';
import { buildPolicyVariant } from '../../../scripts/policy-variant.mjs';
import { startEmbeddedPdp, type EmbeddedPdp } from '../../src/authz/embedded-pdp.js';
import { createLogger } from '../../src/logger.js';
import { BUNDLE_PATH, Harness, NEW_TRANSACTION } from '../support/harness.js';

// PDP_MODE=embedded runs the sidecar's engine path in-process: the same BundleManager (watched file,
// signatures verified with BUNDLE_PUBLIC_KEYS, last-known-good), the same decision log. These tests
// build the app on it over a bundle file in a temp dir, signed with the development key as
// `npm run policy:build` signs it.

const root = join(import.meta.dirname, '..', '..', '..');
const DEV_KEYS = join(root, 'data', 'bundle-signing', 'keys.json');
const DEV_PRIVATE_KEY = join(root, 'data', 'bundle-signing', 'private.pem');

const dir = mkdtempSync(join(tmpdir(), 'verdict-embedded-'));
test.after.always(() => {
  rmSync(dir, { recursive: true, force: true });
});

const signed = readFileSync(BUNDLE_PATH);
const revisionOf = (bundle: Buffer): string => {
  const manifest = tarFile(bundle, '/.manifest');
  return (JSON.parse(manifest.toString('utf8')) as { revision: string }).revision;
};

/** The bytes of one file of a gzipped tar (names as OPA writes them, `/data.json`). */
function tarFile(bundle: Buffer, name: string): Buffer {
  const tar = gunzipSync(bundle);
  for (let offset = 0; offset + 512 <= tar.length;) {
    const header = tar.subarray(offset, offset + 512);
    const entry = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    const size = Number.parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim(), 8);
    if (entry === name || `/${entry}` === name) return tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (entry === '') break;
  }
  throw new Error(`${name} is not in the bundle`);
}

/** The signed bundle with data.json changed in place (customers reach every transaction), signature kept. */
function tampered(bundle: Buffer): Buffer {
  const tar = Buffer.from(gunzipSync(bundle));
  const data = tarFile(bundle, '/data.json');
  const text = data.toString('utf8');
  const edited = text.replace('"reach":"own"', '"reach":"all"');
  if (edited === text || edited.length !== text.length) throw new Error('the customer profile changed shape');
  const start = tar.indexOf(data);
  tar.write(edited, start, 'utf8');
  return gzipSync(tar);
}

/** A second signed revision: the same policies with the retail branch open until 17:30. */
const laterClose = buildPolicyVariant({
  into: join(dir, 'variant'),
  env: { BUNDLE_SIGNING_KEY: DEV_PRIVATE_KEY },
  edit: (copy) => {
    const file = join(copy, 'policies', 'data', 'departments.yaml');
    const yaml = readFileSync(file, 'utf8');
    writeFileSync(file, yaml.replace('close: "17:00"', 'close: "17:30"'));
  },
}).wasm;

/** Writes a bundle the way `policy:build` replaces one: a new file renamed over the old. */
function install(path: string, bundle: Buffer): void {
  writeFileSync(`${path}.partial`, bundle);
  renameSync(`${path}.partial`, path);
}

interface Embedded {
  readonly h: Harness;
  readonly pdp: EmbeddedPdp;
  readonly bundlePath: string;
  readonly decisionLog: string;
  readonly logLines: string[];
}

async function embedded(t: any, bundle: Buffer, env: Record<string, string> = {}): Promise<Embedded> {
  const name = randomUUID();
  const bundlePath = join(dir, `${name}.tar.gz`);
  const decisionLog = join(dir, `${name}.decisions.jsonl`);
  writeFileSync(bundlePath, bundle);
  const logLines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    }),
  );
  const config = loadPolicyEngineConfig({
    BUNDLE_PATH: bundlePath,
    DECISION_LOG: `file:${decisionLog}`,
    ...env,
  });
  const pdp = await startEmbeddedPdp(config, logger, { fileDebounceMs: 20 });
  const h = await Harness.start({ authorizer: pdp.authorizer, readiness: [pdp.readiness] });
  t.teardown(async () => {
    await h.stop();
    await pdp.engine.close();
  });
  return { h, pdp, bundlePath, decisionLog, logLines };
}

const VERIFIED = { BUNDLE_PUBLIC_KEYS: DEV_KEYS };

function next<T>(subscribe: (listener: (event: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const unsubscribe = subscribe((event) => {
      unsubscribe();
      resolve(event);
    });
  });
}

/** The first decision-log event that matches, once the logger has written it (bounded wait). */
async function loggedEvent(
  file: string,
  matches: (event: Record<string, any>) => boolean,
): Promise<Record<string, any> | undefined> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const found = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, any>)
      .find(matches);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

async function aliceTransaction(h: Harness): Promise<string> {
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: NEW_TRANSACTION });
  if (res.status !== 201) throw new Error(`setup create failed: ${res.status} ${res.text}`);
  return res.body.id as string;
}

test('an allowed read leaves its decision-log line, masked, as the sidecar logs it', async (t) => {
  const { h, decisionLog } = await embedded(t, signed, VERIFIED);
  const id = await aliceTransaction(h);
  const token = await h.token();
  const read = await h.request('GET', `/transactions/${id}`, { token });
  t.is(read.status, 200, read.text);
  const logged = await loggedEvent(
    decisionLog,
    (event) => event.path === 'verdict/authz/decision' && event.input?.action === 'transactions:read',
  );
  t.truthy(logged, 'the read is in the decision log');
  t.is(logged?.result?.allow, true);
  t.is(logged?.input?.resource?.id, id);
  t.is(logged?.bundles?.verdict?.revision, revisionOf(signed));
  t.false(readFileSync(decisionLog, 'utf8').includes(token), 'no token in the decision log');
});

test('a tampered data.json is refused: the signed revision keeps deciding, bob still cannot read alice’s transaction', async (t) => {
  const { h, pdp, bundlePath } = await embedded(t, signed, VERIFIED);
  const id = await aliceTransaction(h);
  const bob = await h.token({ sub: 'bob' });
  t.is((await h.request('GET', `/transactions/${id}`, { token: bob })).status, 404);
  const refused = next<BundleRefusal>((listener) => pdp.engine.manager.onRefusal(listener));
  install(bundlePath, tampered(signed));
  const refusal = await refused;
  t.regex(refusal.reason, /^signature_/);
  t.is(refusal.activeRevision, revisionOf(signed));
  const read = await h.request('GET', `/transactions/${id}`, { token: bob });
  t.is(read.status, 404, read.text);
  t.is(read.body.code, 'not_found');
  const ready = await h.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.like(ready.body.checks.policy_bundle, { revision: revisionOf(signed), signed: true });
  t.regex(ready.body.checks.policy_bundle.lastError.reason, /^signature_/);
  const metrics = await pdp.engine.metrics.registry.metrics();
  t.regex(
    metrics,
    /verdict_sidecar_bundle_load_failures_total\{name="verdict",reason="signature_[a-z_]+"\} 1/,
  );
});

test('started on a tampered bundle, nothing is decided: not ready, and every call 503', async (t) => {
  const { h } = await embedded(t, tampered(signed), VERIFIED);
  const ready = await h.request('GET', '/health/ready');
  t.is(ready.status, 503);
  t.is(ready.body.code, 'not_ready');
  t.true((ready.body.failing as string[]).includes('policy_bundle'));
  const list = await h.request('GET', '/transactions', { token: await h.token() });
  t.is(list.status, 503, list.text);
  t.is(list.body.code, 'authorization_unavailable');
});

test('without BUNDLE_PUBLIC_KEYS an unsigned bundle is used and says so: signed false, a warning, metric 0', async (t) => {
  const { h, pdp, logLines } = await embedded(t, signed);
  const ready = await h.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.is(ready.body.checks.policy_bundle.signed, false);
  const line = logLines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.pdp_mode === 'embedded');
  t.like(line, { level: 40, signed: false });
  t.regex(String(line?.msg), /NOT signature-verified/);
  t.regex(await pdp.engine.metrics.registry.metrics(), /verdict_sidecar_bundle_signed\{name="verdict"\} 0/);
});

test.serial(
  'hot reload under concurrent requests: every request answered, decisions move to the new revision',
  async (t) => {
    const { h, pdp, bundlePath } = await embedded(t, signed, VERIFIED);
    // 17:15 in Berlin: the first revision's retail branch is closed, the second's open.
    const frozen = h.clockMs;
    t.teardown(() => {
      h.clockMs = frozen;
    });
    const ids = await Promise.all(Array.from({ length: 4 }, () => aliceTransaction(h)));
    h.clockMs = Date.parse('2026-11-23T16:15:00Z');
    const alice = await h.token();
    const statuses: number[] = [];
    let swaps = 0;
    const stopAt = { done: false };
    const workers = Array.from({ length: 8 }, async (_, worker) => {
      while (!stopAt.done) {
        const res = await h.request('GET', `/transactions/${ids[worker % ids.length]!}`, { token: alice });
        statuses.push(res.status);
      }
    });
    for (const bundle of [laterClose, signed, laterClose]) {
      const swapped = next<BundleSwap>((listener) => pdp.engine.manager.onSwap(listener));
      install(bundlePath, bundle);
      t.is((await swapped).active.revision, revisionOf(bundle));
      swaps += 1;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    stopAt.done = true;
    await Promise.all(workers);
    t.is(swaps, 3);
    t.true(statuses.length > 50, `${statuses.length} requests`);
    t.deepEqual([...new Set(statuses)], [200], 'no request failed during the reloads');
    // The later close is in force: a manager approves at 17:15 Berlin time.
    const manager = await h.token({
      sub: 'mia',
      roles: ['manager'],
      department: 'retail',
      scope: 'transactions:read transactions:approve',
    });
    const approve = await h.request('POST', `/transactions/${ids[0]!}/approve`, { token: manager });
    t.is(approve.status, 200, approve.text);
  },
);
