import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config.js';

const KEYS = JSON.stringify({
  keys: { k: { algorithm: 'ES256', key: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' } },
});

test('no SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL: no shadow', (t) => {
  t.is(loadConfig({ BUNDLE_PATH: 'b.tar.gz' }).shadow, undefined);
  t.is(loadConfig({ BUNDLE_PATH: 'b.tar.gz', SHADOW_SAMPLE: '0.1' }).shadow, undefined);
});

test('SHADOW_BUNDLE_PATH with SHADOW_SAMPLE [1]', (t) => {
  t.deepEqual(loadConfig({ BUNDLE_PATH: 'b.tar.gz', SHADOW_BUNDLE_PATH: 'c.tar.gz' }).shadow, {
    bundle: { kind: 'file', path: 'c.tar.gz' },
    sample: 1,
  });
  for (const [raw, sample] of [
    ['0', 0],
    ['0.05', 0.05],
    ['.5', 0.5],
    ['1', 1],
    ['1.0', 1],
  ] as const) {
    const config = loadConfig({ BUNDLE_PATH: 'b', SHADOW_BUNDLE_PATH: 'c', SHADOW_SAMPLE: raw });
    t.is(config.shadow?.sample, sample, raw);
  }
});

test('SHADOW_SAMPLE outside 0..1 or not a number stops the start, naming the variable', (t) => {
  for (const raw of ['1.5', '-0.1', 'half', '5%', '1e-2', '0.']) {
    const error = t.throws(
      () => loadConfig({ BUNDLE_PATH: 'b', SHADOW_BUNDLE_PATH: 'c', SHADOW_SAMPLE: raw }),
      {
        instanceOf: ConfigError,
      },
    );
    t.is(error.variable, 'SHADOW_SAMPLE', raw);
  }
});

test('SHADOW_BUNDLE_URL follows the active bundle’s rule: plain http only when bundles must be signed', (t) => {
  t.deepEqual(
    loadConfig({ BUNDLE_PATH: 'b', SHADOW_BUNDLE_URL: 'https://bundles.example/c.tar.gz' }).shadow?.bundle,
    {
      kind: 'url',
      url: new URL('https://bundles.example/c.tar.gz'),
    },
  );
  const error = t.throws(
    () => loadConfig({ BUNDLE_PATH: 'b', SHADOW_BUNDLE_URL: 'http://bundles.example/c' }),
    {
      instanceOf: ConfigError,
    },
  );
  t.is(error.variable, 'SHADOW_BUNDLE_URL');
  const signed = loadConfig({
    BUNDLE_PATH: 'b',
    BUNDLE_PUBLIC_KEYS: KEYS,
    SHADOW_BUNDLE_URL: 'http://bundles.example/c',
  });
  t.is(signed.shadow?.bundle.kind, 'url');
  const ftp = t.throws(() => loadConfig({ BUNDLE_PATH: 'b', SHADOW_BUNDLE_URL: 'ftp://bundles.example/c' }), {
    instanceOf: ConfigError,
  });
  t.is(ftp.variable, 'SHADOW_BUNDLE_URL');
});

test('SHADOW_BUNDLE_PATH and SHADOW_BUNDLE_URL together are refused', (t) => {
  const error = t.throws(
    () => loadConfig({ BUNDLE_PATH: 'b', SHADOW_BUNDLE_PATH: 'c', SHADOW_BUNDLE_URL: 'https://x.example/c' }),
    { instanceOf: ConfigError },
  );
  t.is(error.variable, 'SHADOW_BUNDLE_PATH');
});
