import test from 'ava';
import { clientCredentials, login, tokenRequest } from '../src/login.js';
import { introspect, startAuthServer } from './support/auth-server.js';

// Who may introspect, and what an inactive token looks like, in both response formats.
const server = await startAuthServer();
test.after.always(() => server.cleanup());

const JWT = 'application/jwt';

async function inactive(res: Response): Promise<{ status: number; type: string | null; body: unknown }> {
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
}
const INACTIVE = { status: 200, type: 'application/json; charset=utf-8', body: { active: false } };

test('without Accept: application/jwt: RFC 7662 JSON with the claims', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'carol' });
  const res = await introspect(server, tokens.access_token);
  t.is(res.status, 200);
  t.is(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.like(await res.json(), {
    active: true,
    sub: 'carol',
    client_id: 'web-app',
    aud: 'verdict-transactions',
    iss: server.issuer,
    department: 'private',
    token_type: 'Bearer',
  });
});

test('unknown token → 200 {"active":false}, JSON even when a JWT was asked for', async (t) => {
  t.deepEqual(await inactive(await introspect(server, 'not-a-token', { accept: JWT })), INACTIVE);
  t.deepEqual(await inactive(await introspect(server, 'not-a-token')), INACTIVE);
});

test('revoked token → {"active":false}', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'alice' });
  const before = await introspect(server, tokens.access_token, { accept: JWT });
  t.is(before.headers.get('content-type'), JWT);
  const revoked = await fetch(`${server.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.access_token, client_id: 'web-app' }).toString(),
  });
  t.is(revoked.status, 200);
  t.deepEqual(await inactive(await introspect(server, tokens.access_token, { accept: JWT })), INACTIVE);
});

test('refresh token exchanged for a JWT → {"active":false} (only access tokens become JWTs)', async (t) => {
  const tokens = await login({
    issuer: server.issuer,
    username: 'bob',
    scope: 'transactions:read offline_access',
  });
  t.is(typeof tokens.refresh_token, 'string');
  t.deepEqual(
    await inactive(await introspect(server, tokens.refresh_token ?? '', { accept: JWT })),
    INACTIVE,
  );
});

test('another confidential client cannot introspect: every token is inactive to it', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'alice' });
  const own = await clientCredentials({
    issuer: server.issuer,
    clientId: 'payments-gateway',
    clientSecret: server.secret('payments-gateway'),
  });
  for (const token of [tokens.access_token, own.access_token]) {
    for (const accept of [JWT, undefined]) {
      const res = await introspect(server, token, {
        clientId: 'payments-gateway',
        ...(accept === undefined ? {} : { accept }),
      });
      t.deepEqual(await inactive(res), INACTIVE);
    }
  }
});

test('a public client cannot introspect its own token', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'alice' });
  const res = await fetch(`${server.issuer}/token/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: JWT },
    body: new URLSearchParams({ token: tokens.access_token, client_id: 'web-app' }).toString(),
  });
  t.deepEqual(await inactive(res), INACTIVE);
});

test('api-gateway with a wrong secret → 401 invalid_client', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'alice' });
  const res = await introspect(server, tokens.access_token, { accept: JWT, secret: 'wrong-secret' });
  t.is(res.status, 401);
  t.like(await res.json(), { error: 'invalid_client' });
});

test('api-gateway cannot get tokens of its own', async (t) => {
  const error = await t.throwsAsync(
    tokenRequest(
      `${server.issuer}/token`,
      { grant_type: 'client_credentials', scope: 'transactions:read' },
      { id: 'api-gateway', secret: server.secret('api-gateway') },
    ),
  );
  t.is(error.message, 'invalid_request: requested grant type is not allowed for this client');
});
