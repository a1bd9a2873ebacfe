import { writeFile } from 'node:fs/promises';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import test from 'ava';
import { ConfigError, loadConfig } from '../src/config.js';
import { tempDir } from './helpers/opa.js';

const PEM = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;

test('defaults: 127.0.0.1:8181, poll every 10 s, decision logs to stdout, info, no keys, frozen', (t) => {
  const config = loadConfig({ BUNDLE_PATH: 'b.tar.gz' });
  t.is(config.port, 8181);
  t.is(config.host, '127.0.0.1');
  t.is(config.socketPath, undefined);
  t.deepEqual(config.bundle, { kind: 'file', path: 'b.tar.gz' });
  t.is(config.bundlePollS, 10);
  t.is(config.bundlePublicKeys, undefined);
  t.deepEqual(config.decisionLog, { kind: 'stdout' });
  t.is(config.decisionLogUrl, undefined);
  t.deepEqual(config.decisionLogMask, []);
  t.is(config.batchMaxInputs, 1000);
  t.is(config.logLevel, 'info');
  t.true(Object.isFrozen(config));
});

test('every sidecar variable is read', (t) => {
  const config = loadConfig({
    PORT: '9000',
    HOST: '0.0.0.0',
    SOCKET_PATH: '/run/pdp.sock',
    BUNDLE_URL: 'https://bundles.example/verdict.tar.gz',
    BUNDLE_POLL_S: '30',
    DECISION_LOG: 'file:/var/log/decisions.log',
    DECISION_LOG_URL: 'http://collector:8080/logs',
    DECISION_LOG_MASK: '/input/environment/ip,input.resource.note',
    BATCH_MAX_INPUTS: '250',
    LOG_LEVEL: 'debug',
  });
  t.is(config.port, 9000);
  t.is(config.host, '0.0.0.0');
  t.is(config.socketPath, '/run/pdp.sock');
  t.deepEqual(config.bundle, { kind: 'url', url: new URL('https://bundles.example/verdict.tar.gz') });
  t.is(config.bundlePollS, 30);
  t.deepEqual(config.decisionLog, { kind: 'file', path: '/var/log/decisions.log' });
  t.is(config.decisionLogUrl?.href, 'http://collector:8080/logs');
  t.deepEqual(config.decisionLogMask, [
    ['input', 'environment', 'ip'],
    ['input', 'resource', 'note'],
  ]);
  t.is(config.batchMaxInputs, 250);
  t.is(config.logLevel, 'debug');
});

const BAD: readonly (readonly [Record<string, string>, string, RegExp])[] = [
  [{}, 'BUNDLE_PATH', /BUNDLE_PATH or BUNDLE_URL is required/],
  [{ BUNDLE_PATH: 'a', BUNDLE_URL: 'http://x/b' }, 'BUNDLE_PATH', /not both/],
  [{ BUNDLE_URL: 'ftp://x/b' }, 'BUNDLE_URL', /http\(s\)/],
  [{ BUNDLE_PATH: 'a', PORT: '80a' }, 'PORT', /whole number/],
  [{ BUNDLE_PATH: 'a', PORT: '70000' }, 'PORT', /between 0 and 65535/],
  [{ BUNDLE_PATH: 'a', BUNDLE_POLL_S: '0' }, 'BUNDLE_POLL_S', /between 1 and/],
  [{ BUNDLE_PATH: 'a', DECISION_LOG: 'syslog' }, 'DECISION_LOG', /stdout, off or file:<path>/],
  [{ BUNDLE_PATH: 'a', DECISION_LOG_URL: 'not a url' }, 'DECISION_LOG_URL', /not a URL/],
  [{ BUNDLE_PATH: 'a', DECISION_LOG_MASK: 'subject.claims' }, 'DECISION_LOG_MASK', /input or result/],
  [{ BUNDLE_PATH: 'a', BATCH_MAX_INPUTS: 'many' }, 'BATCH_MAX_INPUTS', /whole number/],
  [{ BUNDLE_PATH: 'a', BATCH_MAX_INPUTS: '0' }, 'BATCH_MAX_INPUTS', /between 1 and 100000/],
  [{ BUNDLE_PATH: 'a', LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /one of fatal/],
  [{ BUNDLE_PATH: 'a', BUNDLE_PUBLIC_KEYS: '/nonexistent/keys.yaml' }, 'BUNDLE_PUBLIC_KEYS', /cannot read/],
  [{ BUNDLE_PATH: 'a', BUNDLE_PUBLIC_KEYS: '{"k": 1}' }, 'BUNDLE_PUBLIC_KEYS', /"keys" object/],
  [
    {
      BUNDLE_PATH: 'a',
      BUNDLE_PUBLIC_KEYS: JSON.stringify({ keys: { k: { algorithm: 'HS256', key: PEM } } }),
    },
    'BUNDLE_PUBLIC_KEYS',
    /algorithm must be one of RS256, PS256, ES256, EdDSA/,
  ],
  [
    {
      BUNDLE_PATH: 'a',
      BUNDLE_PUBLIC_KEYS: JSON.stringify({ keys: { k: { algorithm: 'EdDSA', key: 'secret' } } }),
    },
    'BUNDLE_PUBLIC_KEYS',
    /PEM public key/,
  ],
  [{ BUNDLE_PATH: 'a', BUNDLE_PUBLIC_KEYS: '{"keys": {}}' }, 'BUNDLE_PUBLIC_KEYS', /lists no keys/],
];

for (const [env, variable, message] of BAD) {
  test(`${variable}=${JSON.stringify(env[variable] ?? '')} → ConfigError naming ${variable}`, (t) => {
    const error = t.throws(() => loadConfig(env), { instanceOf: ConfigError });
    t.is(error.variable, variable);
    t.true(error.message.startsWith(`${variable}: `));
    t.regex(error.message, message);
  });
}

test("BUNDLE_PUBLIC_KEYS as a YAML file in the shape of OPA's keys configuration", async (t) => {
  const dir = await tempDir();
  try {
    const path = join(dir.path, 'keys.yaml');
    const indented = PEM.trim().split('\n').join('\n      ');
    await writeFile(
      path,
      `keys:\n  prod-2026:\n    algorithm: EdDSA\n    scope: write\n    key: |\n      ${indented}\n`,
    );
    const keys = loadConfig({ BUNDLE_PATH: 'a', BUNDLE_PUBLIC_KEYS: path }).bundlePublicKeys;
    t.deepEqual([...(keys?.keys() ?? [])], ['prod-2026']);
    t.is(keys?.get('prod-2026')?.algorithm, 'EdDSA');
    t.is(keys?.get('prod-2026')?.scope, 'write');
    t.is(keys?.get('prod-2026')?.key.trim(), PEM.trim());
  } finally {
    await dir.remove();
  }
});
