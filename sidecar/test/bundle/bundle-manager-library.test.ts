import { readFile } from 'node:fs/promises';
import test from 'ava';
import {
  BundleManager,
  type BundleConfig,
  type BundleRefusal,
  type BundleSwap,
} from '../../src/bundle/bundle-manager.js';
import { loadConfig } from '../../src/config.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import { buildSignedBundle, keyPair, publicKeysValue } from '../helpers/sidecar.js';

// BundleManager as a library, the way another process (the service in embedded mode) uses it:
// built from the bundle variables, started and stopped, read through `active`, told of swaps.

const NOW = new Date('2026-11-23T10:00:00Z');

let dir: { path: string; remove: () => Promise<void> };
let signedPath: string;
let unsigned: Buffer;
let signedNext: Buffer;
let keys: string;
let ecPem: string;

test.before(async () => {
  dir = await tempDir();
  const key = await keyPair(dir.path, 'lib', 'EdDSA');
  ecPem = (await keyPair(dir.path, 'ec', 'ES256')).publicPem;
  keys = publicKeysValue({ lib: { algorithm: 'EdDSA', key: key.publicPem } });
  const sign = (revision: string) =>
    buildSignedBundle(dir.path, {
      privatePath: key.privatePath,
      algorithm: 'EdDSA',
      keyId: 'lib',
      revision,
      output: `${revision}.tar.gz`,
    });
  signedPath = await sign('lib-1');
  signedNext = await readFile(await sign('lib-2'));
  unsigned = await readFile(await buildWasmBundle(dir.path, { revision: 'lib-unsigned' }));
});

test.after.always(async () => {
  await dir.remove();
});

function config(env: Record<string, string>): BundleConfig {
  return loadConfig({ BUNDLE_POLL_S: '3600', ...env });
}

test('fromConfig + start: the file is loaded, active carries engine, revision, signed and the frozen time', async (t) => {
  const manager = await BundleManager.fromConfig(
    config({ BUNDLE_PATH: signedPath, BUNDLE_PUBLIC_KEYS: keys }),
    {
      now: () => NOW,
    },
  );
  const swaps: BundleSwap[] = [];
  manager.onSwap((swap) => swaps.push(swap));
  t.is(manager.active, undefined);
  await manager.start();
  try {
    const active = manager.active;
    t.is(active?.revision, 'lib-1');
    t.is(active?.signed, true);
    t.deepEqual(active?.activatedAt, NOW);
    t.is(active?.engine, manager.engine);
    t.deepEqual(active?.engine.evaluate('fixture/misc/echo', 'x'), 'x');
    t.true(manager.verifiesSignatures);
    t.is(swaps.length, 1);
    t.is(swaps[0]?.previousRevision, undefined);
    t.is(swaps[0]?.origin, signedPath);
    t.is(swaps[0]?.active, active);
  } finally {
    await manager.stop();
  }
});

test('onSwap and onRefusal: a refused bundle reports its reason and the revision that stays; unsubscribing stops calls', async (t) => {
  const manager = await BundleManager.fromConfig(
    config({ BUNDLE_PATH: signedPath, BUNDLE_PUBLIC_KEYS: keys }),
    {
      now: () => NOW,
    },
  );
  await manager.start();
  const swaps: BundleSwap[] = [];
  const refusals: BundleRefusal[] = [];
  const unsubscribe = manager.onSwap((swap) => swaps.push(swap));
  manager.onRefusal((refusal) => refusals.push(refusal));
  manager.onSwap(() => {
    throw new Error('a broken listener');
  });
  try {
    t.false(await manager.activate(unsigned, 'test:unsigned'));
    t.is(manager.active?.revision, 'lib-1');
    t.deepEqual(refusals, [
      {
        name: 'verdict',
        reason: 'signature_unsigned',
        message: 'bundle signature: the bundle has no .signatures.json and signing is required',
        origin: 'test:unsigned',
        at: NOW,
        activeRevision: 'lib-1',
      },
    ]);

    t.true(await manager.activate(signedNext, 'test:next'), 'a throwing listener does not undo the swap');
    t.is(manager.active?.revision, 'lib-2');
    t.is(swaps.length, 1);
    t.is(swaps[0]?.previousRevision, 'lib-1');

    unsubscribe();
    t.true(await manager.activate(await readFile(signedPath), 'test:back'));
    t.is(manager.active?.revision, 'lib-1');
    t.is(swaps.length, 1);
  } finally {
    await manager.stop();
  }
});

test('without keys the manager activates unsigned bundles and marks them signed false', async (t) => {
  const manager = new BundleManager({ now: () => NOW });
  t.false(manager.verifiesSignatures);
  t.is(manager.source, undefined);
  t.true(await manager.activate(unsigned, 'test'));
  t.is(manager.active?.revision, 'lib-unsigned');
  t.is(manager.active?.signed, false);
  t.is(manager.status().signed, false);
});

test('an empty key map is refused: no bundle could ever verify', (t) => {
  t.throws(() => new BundleManager({ verificationKeys: new Map() }), {
    message: /verificationKeys is empty/,
  });
});

test('fromConfig refuses a key that does not fit its algorithm, naming the key id', async (t) => {
  const wrong = publicKeysValue({ odd: { algorithm: 'EdDSA', key: ecPem } });
  await t.throwsAsync(
    BundleManager.fromConfig(config({ BUNDLE_PATH: signedPath, BUNDLE_PUBLIC_KEYS: wrong })),
    {
      message: /^key odd cannot be used for EdDSA/,
    },
  );
});
