import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import {
  BundleSignatureError,
  importBundleKeys,
  signatureVerifier,
} from '../../src/bundle/signature-verifier.js';
import { readTar } from '../../src/bundle/tar.js';
import { canonicalJson, bundleFileDigest, goString } from '../../src/bundle/file-hash.js';
import type { BundleKeyAlgorithm, BundleKeyConfig } from '../../src/config.js';
import { Engine } from '../../src/engine.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import { buildSignedBundle, keyPair, SIGNING_ALGORITHMS } from '../helpers/sidecar.js';
import { tarGz } from '../helpers/tar-writer.js';

let dir: { path: string; remove: () => Promise<void> };
const publicPems = new Map<string, string>();
const signed = new Map<string, Buffer>();
let unsigned: Buffer;
let rsaPrivate: string;

test.before(async () => {
  dir = await tempDir();
  await Promise.all(
    SIGNING_ALGORITHMS.map(async (algorithm) => {
      const { privatePath, publicPem } = await keyPair(dir.path, algorithm, algorithm);
      publicPems.set(algorithm, publicPem);
      if (algorithm === 'RS256') rsaPrivate = privatePath;
      const path = await buildSignedBundle(dir.path, {
        privatePath,
        algorithm,
        keyId: `${algorithm}-key`,
        revision: `rev-${algorithm}`,
        output: `${algorithm}.tar.gz`,
      });
      signed.set(algorithm, await readFile(path));
    }),
  );
  unsigned = await readFile(await buildWasmBundle(dir.path, { revision: 'unsigned' }));
});

test.after.always(async () => {
  await dir.remove();
});

function keyConfig(algorithm: BundleKeyAlgorithm, scope = ''): BundleKeyConfig {
  return { algorithm, key: publicPems.get(algorithm)!, scope };
}

async function verifierFor(entries: Record<string, BundleKeyConfig>) {
  return signatureVerifier(await importBundleKeys(new Map(Object.entries(entries))));
}

async function allKeys() {
  return verifierFor(Object.fromEntries(SIGNING_ALGORITHMS.map((a) => [`${a}-key`, keyConfig(a)])));
}

/** The bundle's files, editable, and a way to pack them again. */
function unpack(bundle: Buffer): Map<string, Buffer> {
  return new Map(readTar(gunzipSync(bundle)).map((entry) => [entry.path, Buffer.from(entry.data)]));
}

function pack(files: ReadonlyMap<string, Buffer>): Buffer {
  return tarGz([...files].map(([name, data]) => ({ name, data })));
}

async function rejection(bundle: Buffer, verify: Awaited<ReturnType<typeof allKeys>>) {
  const error = await Engine.fromBuffer(bundle, { verify }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof BundleSignatureError))
    throw new Error(`expected a BundleSignatureError, got ${String(error)}`);
  return error;
}

for (const algorithm of SIGNING_ALGORITHMS) {
  test(`a bundle signed by opa build --signing-alg ${algorithm} verifies and loads as it is`, async (t) => {
    const engine = await Engine.fromBuffer(signed.get(algorithm)!, { verify: await allKeys() });
    t.is(engine.revision, `rev-${algorithm}`);
    t.deepEqual(engine.evaluate('fixture/misc/echo', { a: 1 }), { a: 1 });
  });
}

test('the header kid picks the key: a second configured key (rotation) does not disturb verification', async (t) => {
  const verify = await verifierFor({ 'old-key': keyConfig('ES256'), 'RS256-key': keyConfig('RS256') });
  const engine = await Engine.fromBuffer(signed.get('RS256')!, { verify });
  t.is(engine.revision, 'rev-RS256');
});

test('a kid naming a configured key of another pair → bad_signature', async (t) => {
  const verify = await verifierFor({ 'RS256-key': { ...keyConfig('RS256'), key: publicPems.get('PS256')! } });
  const error = await rejection(signed.get('RS256')!, verify);
  t.is(error.reason, 'bad_signature');
  t.is(error.code, 'bundle_invalid');
});

test('a key configured for another algorithm than the JWT header → bad_signature', async (t) => {
  const verify = await verifierFor({ 'RS256-key': { ...keyConfig('RS256'), algorithm: 'PS256' } });
  const error = await rejection(signed.get('RS256')!, verify);
  t.is(error.reason, 'bad_signature');
});

test('a kid that no configured key has → unknown_keyid', async (t) => {
  const verify = await verifierFor({ other: keyConfig('RS256') });
  const error = await rejection(signed.get('RS256')!, verify);
  t.is(error.reason, 'unknown_keyid');
  t.regex(error.message, /unknown keyid "RS256-key"/);
});

test('an unsigned bundle when keys are configured → unsigned', async (t) => {
  const error = await rejection(unsigned, await allKeys());
  t.is(error.reason, 'unsigned');
});

test('an altered data.json value → files digest mismatch', async (t) => {
  const files = unpack(signed.get('RS256')!);
  const data = JSON.parse(files.get('/data.json')!.toString()) as {
    verdict: { authz: { step_up_threshold: number } };
  };
  data.verdict.authz.step_up_threshold += 1;
  files.set('/data.json', Buffer.from(JSON.stringify(data)));
  const error = await rejection(pack(files), await allKeys());
  t.is(error.reason, 'files');
  t.regex(error.message, /data\.json: digest mismatch/);
});

test('data.json re-serialised (indentation, key order) but equal → still verifies, as in OPA', async (t) => {
  const files = unpack(signed.get('RS256')!);
  const data = JSON.parse(files.get('/data.json')!.toString()) as Record<string, unknown>;
  const reordered = Object.fromEntries(Object.entries(data).reverse());
  files.set('/data.json', Buffer.from(JSON.stringify(reordered, null, 4)));
  const engine = await Engine.fromBuffer(pack(files), { verify: await allKeys() });
  t.is(engine.revision, 'rev-RS256');
});

test('an altered policy.wasm byte → files digest mismatch', async (t) => {
  const files = unpack(signed.get('ES256')!);
  const wasm = files.get('/policy.wasm')!;
  wasm.writeUInt8(wasm.readUInt8(wasm.length - 1) ^ 1, wasm.length - 1);
  const error = await rejection(pack(files), await allKeys());
  t.is(error.reason, 'files');
  t.regex(error.message, /policy\.wasm: digest mismatch/);
});

test('an extra file not listed in the signature → rejected', async (t) => {
  const files = unpack(signed.get('RS256')!);
  files.set('/extra/data.json', Buffer.from('{"x": 1}'));
  const error = await rejection(pack(files), await allKeys());
  t.is(error.reason, 'files');
  t.regex(error.message, /extra\/data\.json is not included in the signature/);
});

test('a signed file missing from the bundle → rejected', async (t) => {
  const files = unpack(signed.get('RS256')!);
  t.true(files.delete('/fixture/misc.rego'));
  const error = await rejection(pack(files), await allKeys());
  t.is(error.reason, 'files');
  t.regex(error.message, /fixture\/misc\.rego are in the signature but not in the bundle/);
});

test('a JWT whose signature bytes are altered → bad_signature', async (t) => {
  const files = unpack(signed.get('EdDSA')!);
  const signatures = JSON.parse(files.get('/.signatures.json')!.toString()) as { signatures: string[] };
  const [header, payload, signature] = signatures.signatures[0]!.split('.');
  const flipped = Buffer.from(signature!, 'base64url');
  flipped.writeUInt8(flipped.readUInt8(0) ^ 1, 0);
  signatures.signatures = [`${header}.${payload}.${flipped.toString('base64url')}`];
  files.set('/.signatures.json', Buffer.from(JSON.stringify(signatures)));
  const error = await rejection(pack(files), await allKeys());
  t.is(error.reason, 'bad_signature');
});

test('.signatures.json with two JWTs → malformed (OPA expects exactly one)', async (t) => {
  const files = unpack(signed.get('RS256')!);
  const signatures = JSON.parse(files.get('/.signatures.json')!.toString()) as { signatures: string[] };
  signatures.signatures.push(signatures.signatures[0]!);
  files.set('/.signatures.json', Buffer.from(JSON.stringify(signatures)));
  const error = await rejection(pack(files), await allKeys());
  t.is(error.reason, 'malformed');
});

test('keyid and scope from a claims file (no header kid) → the keyid claim picks the key, scope must match', async (t) => {
  const claims = join(dir.path, 'claims.json');
  await writeFile(claims, JSON.stringify({ keyid: 'claims-key', scope: 'write' }));
  const bundle = await readFile(
    await buildSignedBundle(dir.path, {
      privatePath: rsaPrivate,
      algorithm: 'RS256',
      claimsFile: claims,
      output: 'claims.tar.gz',
    }),
  );
  const header = JSON.parse(
    Buffer.from(
      (
        JSON.parse(unpack(bundle).get('/.signatures.json')!.toString()) as { signatures: string[] }
      ).signatures[0]!.split('.')[0]!,
      'base64url',
    ).toString(),
  ) as Record<string, unknown>;
  t.is(header.kid, undefined);
  const ok = await Engine.fromBuffer(bundle, {
    verify: await verifierFor({ 'claims-key': keyConfig('RS256', 'write') }),
  });
  t.is(ok.revision, 'signed-rev');
  const error = await rejection(bundle, await verifierFor({ 'claims-key': keyConfig('RS256', 'read') }));
  t.is(error.reason, 'scope');
});

test('canonical JSON keeps number literals, sorts keys by bytes and drops whitespace', (t) => {
  t.is(
    canonicalJson(' { "b": 1.50, "a": [1e3, -0, true, null], "é": "x", "Z": {} } '),
    '{"Z":{},"a":[1e3,-0,true,null],"b":1.50,"é":"x"}',
  );
  t.throws(() => canonicalJson('{"a": 1,}'), { message: /malformed JSON/ });
  t.throws(() => canonicalJson('{"a": 01}'), { message: /malformed JSON/ });
});

test("strings are written as Go's encoding/json writes them (no HTML escaping, U+2028 escaped)", (t) => {
  t.is(goString('<a href="x">&\u2028\n\u0001'), '"<a href=\\"x\\">&\\u2028\\n\\u0001"');
});

test('only data.json, data.yaml and .manifest are hashed canonically; other files over their bytes', (t) => {
  const bytes = Buffer.from('{ "a" : 1 }');
  const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
  t.is(bundleFileDigest('/x/data.json', bytes, 'SHA-256'), sha('{"a":1}'));
  t.is(bundleFileDigest('/.manifest', bytes, 'SHA-256'), sha('{"a":1}'));
  t.is(bundleFileDigest('/x/data.yaml', Buffer.from('a: 1\n'), 'SHA-256'), sha('{"a":1}'));
  t.is(bundleFileDigest('/x/other.json', bytes, 'SHA-256'), sha(bytes));
  t.throws(() => bundleFileDigest('/policy.wasm', bytes, 'MD5'), {
    message: /unsupported file hash algorithm MD5/,
  });
});
