import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { readTar } from '../../src/bundle/tar.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { tempDir } from '../helpers/opa.js';
import { post, startTestSidecar } from '../helpers/sidecar.js';
import { tarGz } from '../helpers/tar-writer.js';

// The attack this guards against: whoever can write the bundle file edits its data.json so that
// customers reach every transaction (`customer.reach: all`) and repacks it. The real policies are
// built and signed by scripts/policy-build.mjs with its development key, and the sidecar is given
// that key's keys.json as BUNDLE_PUBLIC_KEYS, as `npm start` does: the edited bundle is refused,
// the signed revision keeps deciding, and bob still cannot see alice's transaction.

const root = fileURLToPath(new URL('../../..', import.meta.url));

let dir: { path: string; remove: () => Promise<void> };
let signed: Buffer;
let tampered: Buffer;
let revision: string;
let devKeys: string;

/** Runs the real policy build on a copy of policies/ in `copy`, with no BUNDLE_SIGNING_KEY (the dev key). */
function buildPolicies(copy: string): void {
  cpSync(join(root, 'policies'), join(copy, 'policies'), {
    recursive: true,
    filter: (source) => !source.startsWith(join(root, 'policies', 'build')),
  });
  for (const file of [
    join('scripts', 'policy-build.mjs'),
    join('sidecar', 'src', 'contract', 'entrypoints.json'),
  ]) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(root, file), join(copy, file));
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${join(root, '.tools', 'bin')}:${process.env.PATH ?? ''}`,
  };
  delete env.BUNDLE_SIGNING_KEY;
  const result = spawnSync(process.execPath, [join(copy, 'scripts', 'policy-build.mjs')], {
    encoding: 'utf8',
    env,
  });
  if (result.status !== 0) throw new Error(`policy build failed:\n${result.stdout}${result.stderr}`);
}

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
  buildPolicies(dir.path);
  signed = await readFile(join(dir.path, 'policies', 'build', 'bundle.tar.gz'));
  revision = (await readFile(join(dir.path, 'policies', 'build', 'revision.txt'), 'utf8')).trim();
  devKeys = join(dir.path, 'data', 'bundle-signing', 'keys.json');
  tampered = giveCustomersReachAll(signed);
});

test.after.always(async () => {
  await dir.remove();
});

const ALICE_TRANSACTION = {
  type: 'transaction',
  id: 'tx-alice-pending',
  owner: 'alice',
  department: 'retail',
  amount_minor: 12050,
  currency: 'EUR',
  category: 'groceries',
  status: 'pending',
  created_at: '2026-11-20T09:30:00Z',
  account: { id: 'acc-alice', owner: 'alice', department: 'retail', status: 'open' },
};

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
