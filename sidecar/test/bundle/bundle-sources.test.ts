import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import type { HttpBundleSource } from '../../src/bundle/http-source.js';
import { createLogger } from '../../src/logger.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import {
  buildSignedBundle,
  keyPair,
  post,
  publicKeysValue,
  startTestSidecar,
  waitFor,
} from '../helpers/sidecar.js';

let dir: { path: string; remove: () => Promise<void> };
let revA: Buffer;
let revB: Buffer;
let signedA: Buffer;
let signedB: Buffer;
let signedOtherKey: Buffer;
let signedUnknownKid: Buffer;
let publicPem: string;

test.before(async () => {
  dir = await tempDir();
  const [a, b] = await Promise.all(
    ['a', 'b'].map(async (rev) => {
      const sub = join(dir.path, rev);
      await mkdir(sub);
      return readFile(await buildWasmBundle(sub, { revision: `rev-${rev}` }));
    }),
  );
  revA = a!;
  revB = b!;
  const key = await keyPair(dir.path, 'signer', 'ES256');
  const other = await keyPair(dir.path, 'other', 'ES256');
  publicPem = key.publicPem;
  const signedBundles = await Promise.all(
    [
      buildSignedBundle(dir.path, {
        privatePath: key.privatePath,
        algorithm: 'ES256',
        keyId: 'k1',
        revision: 'signed-a',
        output: 's-a.tar.gz',
      }),
      buildSignedBundle(dir.path, {
        privatePath: key.privatePath,
        algorithm: 'ES256',
        keyId: 'k1',
        revision: 'signed-b',
        output: 's-b.tar.gz',
      }),
      buildSignedBundle(dir.path, {
        privatePath: other.privatePath,
        algorithm: 'ES256',
        keyId: 'k1',
        revision: 'forged',
        output: 's-o.tar.gz',
      }),
      buildSignedBundle(dir.path, {
        privatePath: key.privatePath,
        algorithm: 'ES256',
        keyId: 'k9',
        revision: 'k9',
        output: 's-k9.tar.gz',
      }),
    ].map(async (path) => readFile(await path)),
  );
  [signedA, signedB, signedOtherKey, signedUnknownKid] = signedBundles as [Buffer, Buffer, Buffer, Buffer];
});

test.after.always(async () => {
  await dir.remove();
});

/** `BUNDLE_PUBLIC_KEYS` trusting the key that signed `signedA` and `signedB` (a plain-http BUNDLE_URL needs one). */
function signingKeys(): string {
  return publicKeysValue({ k1: { algorithm: 'ES256', key: publicPem } });
}

async function revisionOf(
  sidecar: RunningSidecar,
): Promise<{ status: number; revision: string | undefined }> {
  const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/echo?provenance', { input: 1 });
  return { status, revision: body?.provenance?.bundles?.verdict?.revision };
}

async function replaceAtomically(path: string, bytes: Buffer): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

async function metricValue(sidecar: RunningSidecar, name: string, labels: string): Promise<number> {
  const text = await sidecar.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('BUNDLE_PATH hot reload under concurrent requests: no request fails, answers switch to the new revision', async (t) => {
  const live = join(dir.path, 'live-reload.tar.gz');
  await writeFile(live, revA);
  const sidecar = await startTestSidecar({ BUNDLE_PATH: live, BUNDLE_POLL_S: '3600' });
  try {
    t.is((await revisionOf(sidecar)).revision, 'rev-a');
    let stopAt = Infinity;
    let answered = 0;
    const worker = async () => {
      const seen: { status: number; revision: string | undefined }[] = [];
      while (answered < stopAt) {
        seen.push(await revisionOf(sidecar));
        answered += 1;
      }
      return seen;
    };
    const workers = Array.from({ length: 8 }, worker);
    await waitFor(() => answered > 40, 'requests before the swap');
    await replaceAtomically(live, revB);
    await waitFor(() => sidecar.manager.engine?.revision === 'rev-b', 'the new revision to be active');
    stopAt = answered + 80;
    const results = await Promise.all(workers);
    const all = results.flat();
    t.true(all.length >= 120);
    t.deepEqual(
      all.filter((r) => r.status !== 200),
      [],
    );
    t.deepEqual([...new Set(all.map((r) => r.revision))].sort(), ['rev-a', 'rev-b']);
    for (const seen of results) {
      // Once a worker has seen the new revision it never sees the old one again.
      const first = seen.findIndex((r) => r.revision === 'rev-b');
      t.true(first >= 0);
      t.false(seen.slice(first).some((r) => r.revision === 'rev-a'));
    }
  } finally {
    await sidecar.close();
  }
});

test('BUNDLE_PATH: a corrupt bundle is refused, the last good stays active and the failure shows everywhere', async (t) => {
  const live = join(dir.path, 'live-corrupt.tar.gz');
  await writeFile(live, revA);
  const lines: string[] = [];
  const sidecar = await startTestSidecar(
    { BUNDLE_PATH: live, BUNDLE_POLL_S: '3600' },
    { logger: createLogger('info', (line) => lines.push(line)) },
  );
  try {
    await replaceAtomically(live, Buffer.from('this is not a bundle'));
    await waitFor(() => sidecar.manager.status().lastError !== undefined, 'the failure to be recorded');
    t.deepEqual(await revisionOf(sidecar), { status: 200, revision: 'rev-a' });
    const health = await fetch(`${sidecar.url}/health?bundles`);
    t.is(health.status, 200);
    const body = (await health.json()) as any;
    t.is(body.bundles.verdict.revision, 'rev-a');
    t.is(body.bundles.verdict.last_error.reason, 'bundle_invalid');
    t.is(
      await metricValue(
        sidecar,
        'verdict_sidecar_bundle_load_failures_total',
        'name="verdict",reason="bundle_invalid"',
      ),
      1,
    );
    const logged = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'bundle load failed; the last good bundle stays active');
    t.is(logged?.reason, 'bundle_invalid');
    t.is(logged?.active_revision, 'rev-a');
    t.is(logged?.level, 40);
    // A good bundle afterwards clears the error.
    await replaceAtomically(live, revB);
    await waitFor(() => sidecar.manager.engine?.revision === 'rev-b', 'the next good bundle');
    t.is(sidecar.manager.status().lastError, undefined);
  } finally {
    await sidecar.close();
  }
});

test('BUNDLE_PATH: the periodic stat check (the fallback without watch events) picks up a replaced file', async (t) => {
  const live = join(dir.path, 'live-poll.tar.gz');
  await writeFile(live, revA);
  const sidecar = await startTestSidecar({ BUNDLE_PATH: live, BUNDLE_POLL_S: '3600' });
  try {
    await copyFile(join(dir.path, 'b', 'bundle.tar.gz'), `${live}.next`);
    await rename(`${live}.next`, live);
    await (sidecar.source as { check(): Promise<void> }).check();
    t.is(sidecar.manager.engine?.revision, 'rev-b');
  } finally {
    await sidecar.close();
  }
});

test('signing required: an unsigned or forged bundle never replaces the signed one', async (t) => {
  const live = join(dir.path, 'live-signed.tar.gz');
  await writeFile(live, signedA);
  const sidecar = await startTestSidecar({
    BUNDLE_PATH: live,
    BUNDLE_POLL_S: '3600',
    BUNDLE_PUBLIC_KEYS: publicKeysValue({ k1: { algorithm: 'ES256', key: publicPem } }),
  });
  const source = sidecar.source as { check(): Promise<void> };
  try {
    t.is(sidecar.manager.engine?.revision, 'signed-a');
    for (const [bundle, reason] of [
      [revB, 'signature_unsigned'],
      [signedOtherKey, 'signature_bad_signature'],
      [signedUnknownKid, 'signature_unknown_keyid'],
    ] as const) {
      await replaceAtomically(live, bundle);
      await source.check();
      t.is(sidecar.manager.status().lastError?.reason, reason);
      t.is((await revisionOf(sidecar)).revision, 'signed-a');
      t.is(
        await metricValue(
          sidecar,
          'verdict_sidecar_bundle_load_failures_total',
          `name="verdict",reason="${reason}"`,
        ),
        1,
      );
    }
  } finally {
    await sidecar.close();
  }
});

/** A bundle server whose answer each test sets, recording the requests it gets. */
class BundleServer {
  readonly requests: IncomingHttpHeaders[] = [];
  answer: { status: number; body?: Buffer } = { status: 404 };
  readonly server: Server;

  constructor() {
    this.server = createServer((request, response) => {
      this.requests.push(request.headers);
      const { status, body } = this.answer;
      if (status !== 200 || body === undefined) {
        response.writeHead(status).end();
        return;
      }
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304, { etag }).end();
        return;
      }
      response.writeHead(200, { etag, 'content-type': 'application/gzip' }).end(body);
    });
  }

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/bundle.tar.gz`;
  }
}

test('BUNDLE_URL: ETag / If-None-Match — a 304 reloads nothing; 500, a down server and a bad bundle keep the last good', async (t) => {
  const bundles = new BundleServer();
  const url = await bundles.start();
  bundles.answer = { status: 200, body: signedA };
  const sidecar = await startTestSidecar(
    { BUNDLE_URL: url, BUNDLE_POLL_S: '3600', BUNDLE_PUBLIC_KEYS: signingKeys() },
    { random: () => 0.5 },
  );
  const source = sidecar.source as HttpBundleSource;
  try {
    t.is(sidecar.manager.engine?.revision, 'signed-a');
    const activatedAt = sidecar.manager.status().activatedAt;
    t.is(bundles.requests[0]?.['if-none-match'], undefined);

    await source.poll();
    t.regex(String(bundles.requests[1]?.['if-none-match']), /^"[0-9a-f]{16}"$/);
    t.deepEqual(source.stats, { requests: 2, notModified: 1, downloads: 1, failures: 0 });
    t.is(sidecar.manager.status().activatedAt, activatedAt);
    t.is(source.nextDelayMs(), 3_600_000);

    bundles.answer = { status: 500 };
    await source.poll();
    t.is(sidecar.manager.status().lastError?.reason, 'http_500');
    t.is((await revisionOf(sidecar)).revision, 'signed-a');
    // The backoff cap (5 min) never shortens the configured interval.
    t.is(source.nextDelayMs(), 3_600_000);

    bundles.answer = { status: 200, body: Buffer.from('garbage') };
    await source.poll();
    t.is(sidecar.manager.status().lastError?.reason, 'bundle_invalid');
    t.is((await revisionOf(sidecar)).revision, 'signed-a');

    bundles.server.close();
    bundles.server.closeAllConnections();
    await once(bundles.server, 'close');
    await source.poll();
    t.is(sidecar.manager.status().lastError?.reason, 'unreachable');
    t.is((await revisionOf(sidecar)).revision, 'signed-a');
    t.is(
      await metricValue(
        sidecar,
        'verdict_sidecar_bundle_load_failures_total',
        'name="verdict",reason="unreachable"',
      ),
      1,
    );
    t.is(
      await metricValue(
        sidecar,
        'verdict_sidecar_bundle_load_failures_total',
        'name="verdict",reason="http_500"',
      ),
      1,
    );
  } finally {
    await sidecar.close();
  }
});

test('BUNDLE_URL: a new revision is downloaded and activated; backoff doubles per failure and resets on success', async (t) => {
  const bundles = new BundleServer();
  const url = await bundles.start();
  bundles.answer = { status: 200, body: signedA };
  const sidecar = await startTestSidecar(
    { BUNDLE_URL: url, BUNDLE_POLL_S: '10', BUNDLE_PUBLIC_KEYS: signingKeys() },
    { random: () => 0.5 },
  );
  const source = sidecar.source as HttpBundleSource;
  try {
    t.is(source.nextDelayMs(), 10_000);
    bundles.answer = { status: 503 };
    await source.poll();
    t.is(source.nextDelayMs(), 20_000);
    await source.poll();
    t.is(source.nextDelayMs(), 40_000);
    bundles.answer = { status: 200, body: signedB };
    await source.poll();
    t.is(sidecar.manager.engine?.revision, 'signed-b');
    t.is(source.nextDelayMs(), 10_000);
  } finally {
    await sidecar.close();
    bundles.server.close();
  }
});

test('the jitter keeps every wait within ±20 % of the interval', async (t) => {
  const bundles = new BundleServer();
  const url = await bundles.start();
  bundles.answer = { status: 200, body: signedA };
  let next = 0;
  const randoms = [0, 0.999_999];
  const sidecar = await startTestSidecar(
    { BUNDLE_URL: url, BUNDLE_POLL_S: '10', BUNDLE_PUBLIC_KEYS: signingKeys() },
    { random: () => randoms[next++ % 2]! },
  );
  try {
    const source = sidecar.source as HttpBundleSource;
    const waits = [source.nextDelayMs(), source.nextDelayMs(), source.nextDelayMs()];
    t.true(waits.every((ms) => ms >= 8_000 && ms <= 12_000));
    t.true(new Set(waits).size > 1);
  } finally {
    await sidecar.close();
    bundles.server.close();
  }
});
