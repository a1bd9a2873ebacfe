import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { buildPolicyVariant } from '../../../scripts/policy-variant.mjs';
import { readTar } from '../../src/bundle/tar.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { fixtureResource } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/opa.js';
import { post, startTestSidecar } from '../helpers/sidecar.js';
import { tarGz } from '../helpers/tar-writer.js';

// The attack this guards against: whoever can write the bundle file edits its data.json so that
// customers reach every transaction (`customer.reach: all`) and repacks it. The real policies are
// built and signed by scripts/policy-build.mjs with its development key, and the sidecar is given
// that key's keys.json as BUNDLE_PUBLIC_KEYS, as `npm start` does: the edited bundle is refused,
// the signed revision keeps deciding, and bob still cannot see alice's transaction.

let dir: { path: string; remove: () => Promise<void> };
let signed: Buffer;
let tampered: Buffer;
let revision: string;
let devKeys: string;

/** The bundle with `customer.reach` set to `all` in its data.json, its signature left as it was. */
function giveCustomersReachAll(bundle: Buffer): Buffer {
  const entries = readTar(gunzipSync(bundle)).map((entry) => {
    if (entry.path !== '/data.json') return { name: entry.path, data: entry.data };
    const data = JSON.parse(entry.data.toString('utf8')) as {
      verdict: { config: { customer: { reach: string } } };
    };
    if (data.verdict.config.customer.reach !== 'own') throw new Error('the customer profile changed shape');
    data.verdict.config.customer.reach = 'all';
    return { name: entry.path, data: Buffer.from(JSON.stringify(data)) };
  });
  return tarGz(entries);
}

test.before(async () => {
  dir = await tempDir();
  ({ wasm: signed, revision, keys: devKeys } = buildPolicyVariant({ into: dir.path }));
  tampered = giveCustomersReachAll(signed);
});

test.after.always(async () => {
  await dir.remove();
});

const ALICE_TRANSACTION = fixtureResource({
  id: 'tx-alice-pending',
  account: { id: 'acc-alice', owner: 'alice', department: 'retail', status: 'open' },
});

function readBy(sub: string): unknown {
  return {
    input: {
      subject: { claims: { sub, client_id: 'web-app', scope: 'transactions:read' } },
      action: 'transactions:read',
      resource: ALICE_TRANSACTION,
      environment: { now: '2026-11-23T10:00:00Z', request_id: 'req-tamper', ip: '203.0.113.7' },
    },
  };
}

async function decision(sidecar: RunningSidecar, sub: string) {
  return post(sidecar.url, '/v1/data/verdict/authz/decision?provenance=true', readBy(sub));
}

async function failures(sidecar: RunningSidecar, reason: string): Promise<number> {
  const text = await sidecar.metrics.registry.metrics();
  const series = `verdict_sidecar_bundle_load_failures_total{name="verdict",reason="${reason}"} `;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(series.length));
}

test('the attack works on an unverified sidecar: with no keys the edited bundle lets bob read alice’s transaction', async (t) => {
  const path = join(dir.path, 'unverified.tar.gz');
  await writeFile(path, tampered);
  const sidecar = await startTestSidecar({ BUNDLE_PATH: path });
  try {
    const answer = await decision(sidecar, 'bob');
    t.is(answer.status, 200);
    t.is(answer.body.result.allow, true, 'without verification the edit decides');
    t.is(answer.body.provenance.bundles.verdict.revision, revision);
  } finally {
    await sidecar.close();
  }
});

test('with the dev public key (as npm start) the edited bundle is refused: last good revision stays, bob still gets not_owner and not visible', async (t) => {
  const live = join(dir.path, 'live.tar.gz');
  await writeFile(live, signed);
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: live,
    BUNDLE_POLL_S: '3600',
    BUNDLE_PUBLIC_KEYS: devKeys,
  });
  try {
    const before = await decision(sidecar, 'bob');
    t.is(before.status, 200);
    t.like(before.body.result, { allow: false, visible: false });
    t.deepEqual(
      before.body.result.reasons.map((reason: { code: string }) => reason.code),
      ['not_owner'],
    );
    const activatedAt = sidecar.manager.status().activatedAt;

    await writeFile(`${live}.next`, tampered);
    await rename(`${live}.next`, live);
    await (sidecar.source as { check(): Promise<void> }).check();

    t.is(await failures(sidecar, 'signature_files'), 1, 'the refusal is counted');
    const health = await fetch(`${sidecar.url}/health?bundles`);
    t.is(health.status, 200);
    const bundle = ((await health.json()) as any).bundles.verdict;
    t.is(bundle.revision, revision);
    t.is(bundle.signed, true);
    t.is(bundle.activated_at, activatedAt?.toISOString());
    t.is(bundle.last_error.reason, 'signature_files');
    t.regex(bundle.last_error.message, /data\.json: digest mismatch/);

    const after = await decision(sidecar, 'bob');
    t.is(after.status, 200);
    t.deepEqual(after.body.result, before.body.result, 'decisions unchanged');
    t.is(after.body.provenance.bundles.verdict.revision, revision);
    const owner = await decision(sidecar, 'alice');
    t.is(owner.status, 200);
    t.like(owner.body.result, { allow: true, visible: true });
  } finally {
    await sidecar.close();
  }
});
