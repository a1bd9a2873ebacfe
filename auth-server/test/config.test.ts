import test from 'ava';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, loadTokenCliConfig } from '../src/config.js';

test('defaults', (t) => {
  const config = loadConfig({});
  t.deepEqual(config, {
    port: 8180,
    host: '127.0.0.1',
    issuer: 'http://127.0.0.1:8180',
    apiAudience: 'verdict-transactions',
    keysDir: resolve('data/auth-server'),
    gatewayClientSecretFile: resolve('data/auth-server/gateway-client-secret'),
    accessTokenTtlS: 600,
    agentAccessTokenTtlS: 300,
    logLevel: 'info',
    trustProxy: false,
  });
  t.true(Object.isFrozen(config));
});

test('every variable is read', (t) => {
  const config = loadConfig({
    PORT: '9000',
    HOST: '0.0.0.0',
    ISSUER: 'https://auth.example.test',
    API_AUDIENCE: 'other-api',
    KEYS_DIR: '/var/lib/auth',
    ACCESS_TOKEN_TTL_S: '120',
    AGENT_ACCESS_TOKEN_TTL_S: '60',
    LOG_LEVEL: 'warn',
  });
  t.like(config, {
    port: 9000,
    host: '0.0.0.0',
    issuer: 'https://auth.example.test',
    apiAudience: 'other-api',
    keysDir: '/var/lib/auth',
    gatewayClientSecretFile: '/var/lib/auth/gateway-client-secret',
    accessTokenTtlS: 120,
    agentAccessTokenTtlS: 60,
    logLevel: 'warn',
  });
  t.is(
    loadConfig({ GATEWAY_CLIENT_SECRET_FILE: '/run/secrets/gw' }).gatewayClientSecretFile,
    '/run/secrets/gw',
  );
  t.deepEqual(loadTokenCliConfig({ ISSUER: 'http://127.0.0.1:9' }), {
    issuer: 'http://127.0.0.1:9',
    keysDir: resolve('data/auth-server'),
  });
});

const BAD: readonly [Record<string, string>, string][] = [
  [{ PORT: 'eighty' }, 'PORT'],
  [{ PORT: '70000' }, 'PORT'],
  [{ ISSUER: 'not a url' }, 'ISSUER'],
  [{ ISSUER: 'ftp://host' }, 'ISSUER'],
  [{ ISSUER: 'http://127.0.0.1:8180/' }, 'ISSUER'],
  [{ ISSUER: 'http://127.0.0.1:8180?x=1' }, 'ISSUER'],
  [{ ACCESS_TOKEN_TTL_S: '0' }, 'ACCESS_TOKEN_TTL_S'],
  [{ AGENT_ACCESS_TOKEN_TTL_S: '86400' }, 'AGENT_ACCESS_TOKEN_TTL_S'],
  [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
];

for (const [env, variable] of BAD) {
  test(`bad ${variable} ${JSON.stringify(Object.values(env)[0])} → ConfigError naming it`, (t) => {
    const error = t.throws(() => loadConfig(env), { instanceOf: ConfigError });
    t.is(error.variable, variable);
  });
}
