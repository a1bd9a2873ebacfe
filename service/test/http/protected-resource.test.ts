import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config.js';
import { SCOPES_SUPPORTED } from '../../src/http/protected-resource.js';
import { Harness } from '../support/harness.js';

const RESOURCE = {
  resource: 'https://api.demo.example:8443',
  authorizationServers: ['https://as.demo.example'],
};
const METADATA_URL = 'https://api.demo.example:8443/.well-known/oauth-protected-resource';
const REQUIRED = {
  JWKS_URL: 'https://as.example/jwks',
  JWT_ISSUER: 'https://as.example',
  JWT_AUDIENCE: 'verdict',
};

test('GET /.well-known/oauth-protected-resource answers the RFC 9728 document, unauthenticated', async (t) => {
  const h = await Harness.start({ resource: RESOURCE });
  t.teardown(() => h.stop());
  const res = await h.request('GET', '/.well-known/oauth-protected-resource');
  t.is(res.status, 200);
  t.regex(String(res.headers['content-type']), /^application\/json/);
  t.deepEqual(res.body, {
    resource: 'https://api.demo.example:8443',
    authorization_servers: ['https://as.demo.example'],
    scopes_supported: [...SCOPES_SUPPORTED],
    bearer_methods_supported: ['header'],
    resource_name: 'Verdict transactions API',
    resource_documentation: 'https://api.demo.example:8443/openapi.json',
  });
  t.is((await h.request('POST', '/.well-known/oauth-protected-resource')).status, 405);
});

test('every Bearer challenge names the metadata: missing, invalid, insufficient scope, step-up', async (t) => {
  const h = await Harness.start({ resource: RESOURCE });
  t.teardown(() => h.stop());
  const param = `resource_metadata="${METADATA_URL}"`;
  const missing = await h.request('GET', '/transactions');
  t.is(missing.status, 401);
  t.is(missing.headers['www-authenticate'], `Bearer realm="verdict", ${param}`);
  const invalid = await h.request('GET', '/transactions', {
    headers: [['authorization', 'Bearer not-a-jwt']],
  });
  t.is(invalid.status, 401);
  t.regex(String(invalid.headers['www-authenticate']), /^Bearer realm="verdict", error="invalid_token", /);
  t.true(String(invalid.headers['www-authenticate']).endsWith(`, ${param}`));
  const noScope = await h.request('GET', '/transactions', {
    headers: [['authorization', `Bearer ${await h.token({ scope: 'accounts:read' })}`]],
  });
  t.is(noScope.status, 403);
  t.regex(
    String(noScope.headers['www-authenticate']),
    /error="insufficient_scope", .*scope="transactions:read", resource_metadata="/,
  );
  const forbidden = await h.request('GET', '/audit', {
    headers: [['authorization', `Bearer ${await h.token({ scope: 'audit:read' })}`]],
  });
  t.is(forbidden.status, 403);
  t.is(forbidden.headers['www-authenticate'], undefined, 'a plain policy refusal carries no challenge');
  const account = await h.account('alice', 'retail');
  const stepUp = await h.request('POST', `/accounts/${account}/freeze`, {
    token: await h.token({
      sub: 'mgr-retail',
      roles: ['manager'],
      department: 'retail',
      scope: 'accounts:read accounts:write',
    }),
  });
  t.is(stepUp.status, 401);
  t.regex(
    String(stepUp.headers['www-authenticate']),
    /error="insufficient_user_authentication", .*acr_values="[^"]+", .*resource_metadata="/,
  );
});

test('without RESOURCE_URL there is no metadata route and challenges stay as they were', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/.well-known/oauth-protected-resource')).status, 404);
  t.is((await h.request('GET', '/transactions')).headers['www-authenticate'], 'Bearer realm="verdict"');
});

test('RESOURCE_URL and AUTHORIZATION_SERVERS: defaults and refusals', (t) => {
  t.is(loadConfig(REQUIRED).resource, undefined);
  t.deepEqual(loadConfig({ ...REQUIRED, RESOURCE_URL: 'https://api.example/' }).resource, {
    resource: 'https://api.example',
    authorizationServers: ['https://as.example'],
  });
  t.deepEqual(
    loadConfig({
      ...REQUIRED,
      RESOURCE_URL: 'http://127.0.0.1:8443',
      AUTHORIZATION_SERVERS: 'http://127.0.0.1:8180',
    }).resource?.authorizationServers,
    ['http://127.0.0.1:8180'],
  );
  const bad: [Record<string, string>, string, RegExp][] = [
    [{ RESOURCE_URL: 'http://api.example' }, 'RESOURCE_URL', /https/],
    [{ RESOURCE_URL: 'https://api.example/v1' }, 'RESOURCE_URL', /without a path/],
    [{ RESOURCE_URL: 'https://api.example/?x=1' }, 'RESOURCE_URL', /query/],
    [{ RESOURCE_URL: 'api.example' }, 'RESOURCE_URL', /not a URL/],
    [
      { RESOURCE_URL: 'https://api.example', AUTHORIZATION_SERVERS: 'http://as.example' },
      'AUTHORIZATION_SERVERS',
      /https/,
    ],
    [{ AUTHORIZATION_SERVERS: 'https://as.example' }, 'AUTHORIZATION_SERVERS', /RESOURCE_URL/],
  ];
  for (const [env, variable, message] of bad) {
    const error = t.throws(() => loadConfig({ ...REQUIRED, ...env }), { instanceOf: ConfigError });
    t.is(error.variable, variable);
    t.regex(error.message, message);
  }
});
