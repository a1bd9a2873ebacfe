import test from 'ava';
import { ConfigError, loadConfig } from '../src/config.js';
import { startAuthServer } from './support/auth-server.js';

const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'auth.demo.example:8443' };

async function authorizationEndpoint(trustProxy: 'on' | 'off'): Promise<string> {
  const server = await startAuthServer({ env: { TRUST_PROXY: trustProxy } });
  try {
    const response = await fetch(`${server.issuer}/.well-known/openid-configuration`, { headers: FORWARDED });
    return ((await response.json()) as { authorization_endpoint: string }).authorization_endpoint;
  } finally {
    await server.cleanup();
  }
}

test('TRUST_PROXY=on: discovery builds its endpoints from the proxy’s X-Forwarded-Proto and -Host', async (t) => {
  t.is(await authorizationEndpoint('on'), 'https://auth.demo.example:8443/auth');
});

test('TRUST_PROXY off (the default): forwarded headers are not believed', async (t) => {
  t.regex(await authorizationEndpoint('off'), /^http:\/\/127\.0\.0\.1:\d+\/auth$/);
  t.false(loadConfig({}).trustProxy);
  const error = t.throws(() => loadConfig({ TRUST_PROXY: 'yes' }), { instanceOf: ConfigError });
  t.regex(error.message, /TRUST_PROXY/);
});
