import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { readBundle, type UnverifiedBundle } from '../../src/bundle/bundle.js';
import { BundleInvalidError, EntrypointNotFoundError } from '../../src/errors.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import { tar, tarGz } from '../helpers/tar-writer.js';

const WASM = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

let built: Buffer;
test.before(async () => {
  const dir = await tempDir();
  try {
    built = await readFile(await buildWasmBundle(dir.path, { revision: 'rev-42' }));
  } finally {
    await dir.remove();
  }
});

test('a bundle built by opa build -t wasm: manifest, module, data and files', async (t) => {
  const bundle = await readBundle(built);
  t.is(bundle.manifest.revision, 'rev-42');
  t.deepEqual(bundle.manifest.roots, ['']);
  t.true(
    bundle.manifest.wasm.some(
      (w) => w.entrypoint === 'verdict/authz/decision' && w.module === '/policy.wasm',
    ),
  );
  t.deepEqual([...bundle.wasm.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
  t.is((bundle.data.verdict as { authz: { time_zone: string } }).authz.time_zone, 'Europe/Berlin');
  t.true(bundle.files.has('/.manifest'));
  t.true(bundle.files.has('/data.json'));
  t.is(bundle.signatures, undefined);
});

test('a bundle without .manifest has revision "" and uses /policy.wasm', async (t) => {
  const bundle = await readBundle(tarGz([{ name: '/policy.wasm', data: WASM }]));
  t.is(bundle.manifest.revision, '');
  t.deepEqual(bundle.manifest.roots, ['']);
  t.deepEqual(bundle.data, {});
});

test('data.json and data.yaml files are merged at their directory paths', async (t) => {
  const bundle = await readBundle(
    tarGz([
      { name: '/policy.wasm', data: WASM },
      { name: '/data.json', data: '{"top": 1, "a": {"x": 1}}' },
      { name: '/a/data.json', data: '{"y": 2}' },
      { name: '/a/b/data.yaml', data: 'z: [1, 2]\n' },
    ]),
  );
  t.deepEqual(bundle.data, { top: 1, a: { x: 1, y: 2, b: { z: [1, 2] } } });
});

test('a "__proto__" key in data stays data and never reaches Object.prototype', async (t) => {
  const bundle = await readBundle(
    tarGz([
      { name: '/policy.wasm', data: WASM },
      { name: '/data.json', data: '{"__proto__": {"polluted": true}}' },
      { name: '/__proto__/data.json', data: '{"more": true}' },
    ]),
  );
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is(JSON.stringify(bundle.data), '{"__proto__":{"more":true,"polluted":true}}');
  t.is(Object.getPrototypeOf(bundle.data), Object.prototype);
});

const invalidBundles: readonly (readonly [string, Buffer, RegExp])[] = [
  ['not gzip', Buffer.from('{"hello": "world"}'), /not a readable gzip archive/],
  ['truncated gzip', built0().subarray(0, 40), /not a readable gzip archive/],
  ['gzip of something that is not a tar', gzipSync(Buffer.from('x'.repeat(2000))), /bundle archive:/],
  ['no policy.wasm', tarGz([{ name: '/data.json', data: '{}' }]), /has no \/policy\.wasm/],
  [
    'manifest naming a module that is missing',
    tarGz([
      { name: '/.manifest', data: '{"wasm":[{"entrypoint":"a/b","module":"/other.wasm"}]}' },
      { name: '/policy.wasm', data: WASM },
    ]),
    /has no \/other\.wasm/,
  ],
  [
    'manifest with two modules',
    tarGz([
      {
        name: '/.manifest',
        data: '{"wasm":[{"entrypoint":"a","module":"/a.wasm"},{"entrypoint":"b","module":"/b.wasm"}]}',
      },
    ]),
    /2 WASM modules/,
  ],
  ['manifest not JSON', tarGz([{ name: '/.manifest', data: 'revision: 1' }]), /\.manifest is not JSON/],
  [
    'manifest revision a number',
    tarGz([{ name: '/.manifest', data: '{"revision": 7}' }]),
    /revision is not a string/,
  ],
  [
    'data.json not JSON',
    tarGz([
      { name: '/policy.wasm', data: WASM },
      { name: '/data.json', data: '{"a":' },
    ]),
    /\/data\.json cannot be parsed/,
  ],
  [
    'data.json an array',
    tarGz([
      { name: '/policy.wasm', data: WASM },
      { name: '/data.json', data: '[1]' },
    ]),
    /\/data\.json is not an object/,
  ],
  [
    'two data files disagreeing on a key',
    tarGz([
      { name: '/policy.wasm', data: WASM },
      { name: '/data.json', data: '{"a": 1}' },
      { name: '/a/data.json', data: '{"b": 2}' },
    ]),
    /data\.json conflicts with other data at (key )?a$/,
  ],
  ['path traversal entry', tarGz([{ name: '../../policy.wasm', data: WASM }]), /escapes the bundle/],
];

function built0(): Buffer {
  return gzipSync(tar([{ name: '/policy.wasm', data: WASM }]));
}

for (const [label, archive, message] of invalidBundles) {
  test(`${label} → bundle_invalid`, async (t) => {
    const error = await t.throwsAsync(readBundle(archive), { instanceOf: BundleInvalidError, message });
    t.is(error.code, 'bundle_invalid');
  });
}

test('an archive that inflates beyond maxBytes (a gzip bomb) → bundle_invalid', async (t) => {
  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
  t.true(bomb.length < 64 * 1024);
  const error = await t.throwsAsync(readBundle(bomb, { maxBytes: 1024 * 1024 }), {
    instanceOf: BundleInvalidError,
    message: /not a readable gzip archive/,
  });
  t.is(error.code, 'bundle_invalid');
});

test('the verify hook sees every file and the signatures apart, before anything is parsed', async (t) => {
  const seen: UnverifiedBundle[] = [];
  const archive = tarGz([
    { name: '/.signatures.json', data: '{"signatures":["jws"]}' },
    { name: '/.manifest', data: 'not json: verification comes first' },
    { name: '/policy.wasm', data: WASM },
  ]);
  await t.throwsAsync(
    readBundle(archive, {
      verify: (bundle) => {
        seen.push(bundle);
      },
    }),
    { instanceOf: BundleInvalidError, message: /\.manifest is not JSON/ },
  );
  t.is(seen.length, 1);
  t.deepEqual([...(seen[0]?.files.keys() ?? [])].sort(), ['/.manifest', '/policy.wasm']);
  t.is(seen[0]?.signatures?.toString(), '{"signatures":["jws"]}');
});

test('a verify hook that throws a plain Error → bundle_invalid with the cause kept', async (t) => {
  const cause = new Error('signature does not match');
  const error = await t.throwsAsync(
    readBundle(built, {
      verify: () => {
        throw cause;
      },
    }),
    { instanceOf: BundleInvalidError, message: /bundle verification failed: signature does not match/ },
  );
  t.is(error.code, 'bundle_invalid');
  t.is(error.cause, cause);
});

test('a verify hook that throws an EngineError is passed on unchanged', async (t) => {
  const own = new EntrypointNotFoundError('x', []);
  const error = await t.throwsAsync(
    readBundle(built, {
      verify: () => Promise.reject(own),
    }),
  );
  t.is(error, own);
});
