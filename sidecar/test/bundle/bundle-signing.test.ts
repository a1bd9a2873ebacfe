import { spawnSync } from 'node:child_process';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import { buildSignedBundle, keyPair, post, publicKeysValue, startTestSidecar } from '../helpers/sidecar.js';

// Verification is on when BUNDLE_PUBLIC_KEYS is set; without it an unsigned bundle is accepted, and
// /health?bundles, the start-up warning and verdict_sidecar_bundle_signed say so. A plain-http
// BUNDLE_URL is refused at start unless the bundle's signature protects it.

const SIDECAR_MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

let dir: { path: string; remove: () => Promise<void> };
let unsigned: Buffer;
let signed: Buffer;
let signedNext: Buffer;
let keys: string;

test.before(async () => {
  dir = await tempDir();
  unsigned = await readFile(await buildWasmBundle(dir.path, { revision: 'unsigned-rev' }));
  const key = await keyPair(dir.path, 'signer', 'RS256');
  const build = (revision: string) =>
    buildSignedBundle(dir.path, {
      privatePath: key.privatePath,
      algorithm: 'RS256',
      keyId: 'k1',
      revision,
      output: `${revision}.tar.gz`,
    }).then((path) => readFile(path));
  [signed, signedNext] = await Promise.all([build('signed-rev'), build('signed-next')]);
  keys = publicKeysValue({ k1: { algorithm: 'RS256', key: key.publicPem } });
});

test.after.always(async () => {
  await dir.remove();
});

/** Writes `bytes` to a fresh file in the temp dir and returns its path. */
async function bundleFile(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, bytes);
  return path;
}

async function healthBundles(sidecar: RunningSidecar): Promise<{ status: number; body: any }> {
  const response = await fetch(`${sidecar.url}/health?bundles`);
  return { status: response.status, body: await response.json() };
}

async function metric(sidecar: RunningSidecar, series: string): Promise<number | undefined> {
  const text = await sidecar.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

/** A logger collecting its lines as parsed objects. */
function collectingLogger(): { logger: ReturnType<typeof createLogger>; lines: any[] } {
  const lines: any[] = [];
  return { logger: createLogger('info', (line) => lines.push(JSON.parse(line))), lines };
}

const HTTP_BUNDLE_URL = 'http://bundles.example/verdict.tar.gz';

test('BUNDLE_URL over plain http without BUNDLE_PUBLIC_KEYS → ConfigError naming BUNDLE_URL', (t) => {
  const error = t.throws(() => loadConfig({ BUNDLE_URL: HTTP_BUNDLE_URL }), { instanceOf: ConfigError });
  t.is(error.variable, 'BUNDLE_URL');
  t.regex(error.message, /^BUNDLE_URL: must be an https: URL when BUNDLE_PUBLIC_KEYS is not set/);
});

test('BUNDLE_URL over plain http with BUNDLE_PUBLIC_KEYS is accepted: the signature protects it', (t) => {
  const config = loadConfig({ BUNDLE_URL: HTTP_BUNDLE_URL, BUNDLE_PUBLIC_KEYS: keys });
  t.deepEqual(config.bundle, { kind: 'url', url: new URL(HTTP_BUNDLE_URL) });
  t.is(config.bundlePublicKeys?.size, 1);
});

test('BUNDLE_URL over https without keys is accepted', (t) => {
  const config = loadConfig({ BUNDLE_URL: 'https://bundles.example/verdict.tar.gz' });
  t.is(config.bundle.kind, 'url');
  t.is(config.bundlePublicKeys, undefined);
});

test('the sidecar process refuses to start on a plain-http BUNDLE_URL without keys: exit 2, one line naming BUNDLE_URL', (t) => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', SIDECAR_MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', BUNDLE_URL: HTTP_BUNDLE_URL, DECISION_LOG: 'off' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  t.is(result.status, 2);
  t.regex(result.stderr, /^sidecar: bad configuration: BUNDLE_URL: must be an https: URL/);
});

test('no keys: an unsigned bundle is served, and /health?bundles, the metric and the start-up warning say signed false', async (t) => {
  const { logger, lines } = collectingLogger();
  const sidecar = await startTestSidecar(
    { BUNDLE_PATH: await bundleFile('no-keys.tar.gz', unsigned) },
    { logger },
  );
  try {
    const health = await healthBundles(sidecar);
    t.is(health.status, 200);
    t.is(health.body.bundles.verdict.revision, 'unsigned-rev');
    t.is(health.body.bundles.verdict.signed, false);
    t.is(await metric(sidecar, 'verdict_sidecar_bundle_signed{name="verdict"}'), 0);
    const started = lines.find((line) => line.msg.startsWith('sidecar listening'));
    t.is(started?.level, 40, 'the start-up line is a warning');
    t.is(started?.signed, false);
    t.regex(started?.msg ?? '', /BUNDLE_PUBLIC_KEYS is unset, so bundles are NOT signature-verified/);
    const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: 1 });
    t.is(status, 200);
    t.is(body.result, 1);
  } finally {
    await sidecar.close();
  }
});

test('no keys: a signed bundle is served too, but not reported signed (nothing verified it)', async (t) => {
  const sidecar = await startTestSidecar({ BUNDLE_PATH: await bundleFile('no-keys-signed.tar.gz', signed) });
  try {
    const health = await healthBundles(sidecar);
    t.is(health.status, 200);
    t.is(health.body.bundles.verdict.revision, 'signed-rev');
    t.is(health.body.bundles.verdict.signed, false);
    t.is(await metric(sidecar, 'verdict_sidecar_bundle_signed{name="verdict"}'), 0);
  } finally {
    await sidecar.close();
  }
});

test('keys: a bundle signed by a configured key is served with signed true, metric 1 and an info start-up line', async (t) => {
  const { logger, lines } = collectingLogger();
  const sidecar = await startTestSidecar(
    { BUNDLE_PATH: await bundleFile('keys-signed.tar.gz', signed), BUNDLE_PUBLIC_KEYS: keys },
    { logger },
  );
  try {
    const health = await healthBundles(sidecar);
    t.is(health.status, 200);
    t.is(health.body.bundles.verdict.revision, 'signed-rev');
    t.is(health.body.bundles.verdict.signed, true);
    t.is(await metric(sidecar, 'verdict_sidecar_bundle_signed{name="verdict"}'), 1);
    const started = lines.find((line) => line.msg === 'sidecar listening');
    t.is(started?.level, 30);
    t.is(started?.signed, true);
  } finally {
    await sidecar.close();
  }
});

test('keys: an unsigned bundle at start is refused — /health?bundles 500 signature_unsigned, decisions 503 internal_error', async (t) => {
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: await bundleFile('keys-unsigned.tar.gz', unsigned),
    BUNDLE_PUBLIC_KEYS: keys,
  });
  try {
    const health = await healthBundles(sidecar);
    t.is(health.status, 500);
    t.is(health.body.error, 'not all configured bundles have been activated');
    t.is(health.body.bundles.verdict.revision, null);
    t.is(health.body.bundles.verdict.signed, false);
    t.is(health.body.bundles.verdict.last_error.reason, 'signature_unsigned');
    const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: 1 });
    t.is(status, 503);
    t.is(body.code, 'internal_error');
    t.is(
      await metric(
        sidecar,
        'verdict_sidecar_bundle_load_failures_total{name="verdict",reason="signature_unsigned"}',
      ),
      1,
    );
    t.is(await metric(sidecar, 'verdict_sidecar_bundle_signed{name="verdict"}'), undefined);
  } finally {
    await sidecar.close();
  }
});

test('keys: an unsigned replacement is refused; the signed revision stays, then a signed one replaces it', async (t) => {
  const live = await bundleFile('keys-live.tar.gz', signed);
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: live,
    BUNDLE_POLL_S: '3600',
    BUNDLE_PUBLIC_KEYS: keys,
  });
  const source = sidecar.source as { check(): Promise<void> };
  const replace = async (bytes: Buffer): Promise<void> => {
    await writeFile(`${live}.next`, bytes);
    await rename(`${live}.next`, live);
    await source.check();
  };
  try {
    await replace(unsigned);
    const refused = await healthBundles(sidecar);
    t.is(refused.status, 200);
    t.is(refused.body.bundles.verdict.revision, 'signed-rev');
    t.is(refused.body.bundles.verdict.signed, true);
    t.is(refused.body.bundles.verdict.last_error.reason, 'signature_unsigned');
    const answer = await post(sidecar.url, '/v1/data/fixture/misc/echo?provenance=true', { input: 2 });
    t.is(answer.status, 200);
    t.is(answer.body.provenance.bundles.verdict.revision, 'signed-rev');

    await replace(signedNext);
    const replaced = await healthBundles(sidecar);
    t.is(replaced.status, 200);
    t.is(replaced.body.bundles.verdict.revision, 'signed-next');
    t.is(replaced.body.bundles.verdict.signed, true);
    t.is(replaced.body.bundles.verdict.last_error, undefined);
  } finally {
    await sidecar.close();
  }
});
