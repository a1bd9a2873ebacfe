import test from 'ava';
import { ConfigError, loadConfig } from '../src/config.js';

const REQUIRED = {
  JWKS_URL: 'https://issuer.example/jwks',
  JWT_ISSUER: 'https://issuer.example',
  JWT_AUDIENCE: 'verdict',
};

test('defaults follow ARCHITECTURE.md and the result is frozen', (t) => {
  const config = loadConfig(REQUIRED);
  t.like(config, {
    http: { port: 8080, host: '127.0.0.1', adminPort: 9464 },
    store: { databaseUrl: 'sqlite:./data/verdict.db' },
    jwt: { clockToleranceS: 30, maxLifetimeS: 3600, jwksCooldownS: 30, jwksCacheMaxAgeS: 600 },
    pdp: { mode: 'sidecar', url: 'http://127.0.0.1:8181', timeoutMs: 50, queueTimeoutMs: 1000 },
    limits: { rateLimitPerMin: 600, redis: undefined },
    logLevel: 'info',
  });
  t.deepEqual(config.jwt.algorithms, ['PS256', 'RS256', 'ES256', 'EdDSA']);
  t.is(config.bundle, undefined, 'sidecar mode reads no bundle variables');
  for (const section of [config, config.http, config.jwt, config.pdp, config.store, config.audit])
    t.true(Object.isFrozen(section));
  t.throws(() => {
    (config.http as { port: number }).port = 1;
  });
});

const BAD: [Record<string, string>, string, RegExp][] = [
  [{ JWKS_URL: '' }, 'JWKS_URL', /required/],
  [{ JWKS_URL: 'http://issuer.example/jwks' }, 'JWKS_URL', /https/],
  [{ JWKS_URL: 'https://user:pw@issuer.example/jwks' }, 'JWKS_URL', /credentials/],
  [{ JWT_ISSUER: '' }, 'JWT_ISSUER', /required/],
  [{ JWT_AUDIENCE: '   ' }, 'JWT_AUDIENCE', /required/],
  [{ JWT_ALGORITHMS: 'RS256,HS256' }, 'JWT_ALGORITHMS', /HS256/],
  [{ JWT_ALGORITHMS: 'none' }, 'JWT_ALGORITHMS', /none/],
  [{ PORT: '80a' }, 'PORT', /whole number/],
  [{ PORT: '70000' }, 'PORT', /between/],
  [{ PDP_MODE: 'remote' }, 'PDP_MODE', /sidecar/],
  [{ PDP_URL: 'ftp://x' }, 'PDP_URL', /unix/],
  [{ TRUSTED_PROXIES: '10.0.0.0/33' }, 'TRUSTED_PROXIES', /CIDR/],
  [{ CORS_ORIGINS: 'https://app.example/path' }, 'CORS_ORIGINS', /bare origin/],
  [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL', /one of/],
  [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL', /sqlite:<path> or a postgres:\/\//],
  [{ DATABASE_URL: 'postgres:/one-slash' }, 'DATABASE_URL', /postgres:\/\//],
  [{ DATABASE_URL: 'postgresql://[::1' }, 'DATABASE_URL', /postgres:\/\//],
  [{ REDIS_URL: 'http://cache.internal:6379' }, 'REDIS_URL', /redis:\/\/.*got a http: URL/],
  [{ REDIS_URL: 'cache.internal:6379' }, 'REDIS_URL', /redis:\/\//],
  [{ REDIS_URL: 'redis://' }, 'REDIS_URL', /names no host/],
  [{ REDIS_URL: 'redis://cache.internal/cache' }, 'REDIS_URL', /database number/],
  [{ REDIS_URL: 'redis://cache.internal?tls=true' }, 'REDIS_URL', /no query or fragment/],
  [{ REDIS_KEY_PREFIX: 'verdict' }, 'REDIS_KEY_PREFIX', /only with REDIS_URL/],
  [{ REDIS_TIMEOUT_MS: '100' }, 'REDIS_TIMEOUT_MS', /only with REDIS_URL/],
  [{ REDIS_KEY_PREFIX: 'two words', REDIS_URL: 'redis://r' }, 'REDIS_KEY_PREFIX', /letters, digits/],
  [{ REDIS_TIMEOUT_MS: '0', REDIS_URL: 'redis://r' }, 'REDIS_TIMEOUT_MS', /between 1 and 10000/],
];
for (const [env, variable, message] of BAD) {
  test(`bad ${variable} (${JSON.stringify(Object.values(env)[0])}) → ConfigError naming it`, (t) => {
    const error = t.throws(() => loadConfig({ ...REQUIRED, ...env }), { instanceOf: ConfigError });
    t.is(error.variable, variable);
    t.true(error.message.startsWith(`${variable}: `));
    t.regex(error.message, message);
  });
}

test('DATABASE_URL: sqlite:<path>, postgres:// and postgresql:// select a store', (t) => {
  for (const databaseUrl of [
    'sqlite:/srv/verdict.db',
    'postgres://verdict:pw@db.internal:5432/verdict',
    'postgresql://verdict@10.0.0.5/verdict?sslmode=require',
    'postgres:///verdict?host=/var/run/postgresql',
  ])
    t.is(loadConfig({ ...REQUIRED, DATABASE_URL: databaseUrl }).store.databaseUrl, databaseUrl);
});

test('a refused DATABASE_URL is not repeated in the error: it may hold a password', (t) => {
  const env = { ...REQUIRED, DATABASE_URL: 'mysql://verdict:s3cret@db/verdict' };
  const error = t.throws(() => loadConfig(env), { instanceOf: ConfigError });
  t.false(error.message.includes('s3cret'));
});

test('REDIS_URL: redis:// and rediss:// (with user, password, port and db) put the rate-limit counters in Redis', (t) => {
  for (const url of [
    'redis://127.0.0.1:6379',
    'redis://cache.internal',
    'rediss://verdict:pw@cache.internal:6380/2',
    'redis://:pw@[::1]:6379/0',
  ])
    t.deepEqual(loadConfig({ ...REQUIRED, REDIS_URL: url }).limits.redis, {
      url,
      keyPrefix: 'verdict',
      timeoutMs: 100,
    });
  const tuned = loadConfig({
    ...REQUIRED,
    REDIS_URL: 'redis://cache.internal',
    REDIS_KEY_PREFIX: 'verdict-staging',
    REDIS_TIMEOUT_MS: '250',
  });
  t.like(tuned.limits.redis, { keyPrefix: 'verdict-staging', timeoutMs: 250 });
  t.true(Object.isFrozen(tuned.limits) && Object.isFrozen(tuned.limits.redis));
});

test('a refused REDIS_URL is not repeated in the error: it may hold a password', (t) => {
  for (const url of [
    'http://verdict:s3cret@cache.internal',
    'redis://verdict:s3cret@',
    'redis://verdict:s3cret@cache.internal/not-a-db',
    'redis://verdict:s3cret@cache.internal:99999',
    'redis://verdict:s3cret@cache.internal?tls=1',
  ]) {
    const error = t.throws(() => loadConfig({ ...REQUIRED, REDIS_URL: url }), { instanceOf: ConfigError });
    t.is(error.variable, 'REDIS_URL');
    t.false(error.message.includes('s3cret'), error.message);
  }
});

test('http JWKS on loopback is allowed for development', (t) => {
  t.is(loadConfig({ ...REQUIRED, JWKS_URL: 'http://127.0.0.1:8180/jwks' }).jwt.jwksUrl.port, '8180');
});

test('lists are trimmed and validated', (t) => {
  const config = loadConfig({
    ...REQUIRED,
    TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/16 ,::1',
    CORS_ORIGINS: 'https://a.example',
  });
  t.deepEqual(config.http.trustedProxies, ['10.0.0.1', '192.168.0.0/16', '::1']);
  t.deepEqual(config.http.corsOrigins, ['https://a.example']);
});

test("embedded mode reads the sidecar's bundle and decision-log variables with the sidecar's reader", (t) => {
  const local = loadConfig({ ...REQUIRED, PDP_MODE: 'embedded' });
  t.deepEqual(local.bundle?.bundle, { kind: 'file', path: 'policies/build/bundle.tar.gz' });
  t.is(local.bundle?.bundlePublicKeys, undefined);
  t.deepEqual(local.bundle?.decisionLog, { kind: 'stdout' });
  const remote = loadConfig({
    ...REQUIRED,
    PDP_MODE: 'embedded',
    BUNDLE_URL: 'https://bundles.example/verdict.tar.gz',
    BUNDLE_POLL_S: '30',
    DECISION_LOG: 'file:/var/log/verdict/decisions.jsonl',
  });
  t.like(remote.bundle, {
    bundlePollS: 30,
    decisionLog: { kind: 'file', path: '/var/log/verdict/decisions.jsonl' },
  });
  t.is(remote.bundle?.bundle.kind, 'url');
  const error = t.throws(
    () =>
      loadConfig({ ...REQUIRED, PDP_MODE: 'embedded', BUNDLE_URL: 'http://bundles.example/verdict.tar.gz' }),
    { instanceOf: ConfigError },
  );
  t.is(error.variable, 'BUNDLE_URL', 'a plain-http bundle without keys is refused in embedded mode too');
});
