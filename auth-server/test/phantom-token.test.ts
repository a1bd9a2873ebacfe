import test from 'ava';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { clientCredentials, login } from '../src/login.js';
import { introspect, startAuthServer } from './support/auth-server.js';

// The phantom token exchange against the real server: opaque token in, RFC 9068 JWT out, verified
// with the published JWKS the way the service verifies it.
const server = await startAuthServer();
const metadata = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as {
  jwks_uri: string;
};
const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
test.after.always(() => server.cleanup());

const AUDIENCE = 'verdict-transactions';
const STANDARD = ['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'];

/** Exchanges the opaque token and verifies the JWT: signature, typ at+jwt, iss, aud. */
async function exchange(opaque: string): Promise<{ payload: JWTPayload; jwt: string }> {
  const res = await introspect(server, opaque, { accept: 'application/jwt' });
  if (res.status !== 200 || res.headers.get('content-type') !== 'application/jwt')
    throw new Error(
      `exchange answered ${res.status} ${res.headers.get('content-type')}: ${await res.text()}`,
    );
  const jwt = await res.text();
  const { payload } = await jwtVerify(jwt, jwks, {
    issuer: server.issuer,
    audience: AUDIENCE,
    typ: 'at+jwt',
    algorithms: ['PS256', 'RS256', 'ES256', 'EdDSA'],
  });
  return { payload, jwt };
}

/** RFC 7662 JSON introspection of the same token (the opaque token's own exp and iat). */
async function introspectJson(opaque: string): Promise<Record<string, any>> {
  const res = await introspect(server, opaque);
  return (await res.json()) as Record<string, any>;
}

test('customer: at+jwt with kid, exactly the standard claims and department, exp of the opaque token', async (t) => {
  const tokens = await login({
    issuer: server.issuer,
    username: 'alice',
    scope: 'transactions:read accounts:read',
  });
  const { payload, jwt } = await exchange(tokens.access_token);
  const header = decodeProtectedHeader(jwt);
  t.is(header.typ, 'at+jwt');
  t.is(header.alg, 'ES256');
  t.is(header.kid, server.keys.signingKey.kid);
  t.deepEqual(Object.keys(payload).sort(), [...STANDARD, 'department'].sort());
  t.like(payload, {
    iss: server.issuer,
    aud: AUDIENCE,
    sub: 'alice',
    client_id: 'web-app',
    scope: 'transactions:read accounts:read',
    department: 'retail',
  });
  const json = await introspectJson(tokens.access_token);
  t.is(payload.exp, json.exp);
  t.is(payload.iat, json.iat);
  t.is((payload.exp ?? 0) - (payload.iat ?? 0), 600);
  t.regex(payload.jti ?? '', /^[\w-]{43}$/);
  t.false(jwt.includes(tokens.access_token), 'the JWT never carries the opaque token');
});

test('manager after step-up: roles, department, acr urn:verdict:acr:mfa and auth_time', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'mia', clientId: 'staff-app', mfa: true });
  const { payload } = await exchange(tokens.access_token);
  t.deepEqual(Object.keys(payload).sort(), [...STANDARD, 'roles', 'department', 'acr', 'auth_time'].sort());
  t.like(payload, { sub: 'mia', client_id: 'staff-app', roles: ['manager'], department: 'retail' });
  t.is(payload.acr, 'urn:verdict:acr:mfa');
  t.is(typeof payload.auth_time, 'number');
  t.true((payload.auth_time as number) <= (payload.iat ?? 0));
  t.true((payload.iat ?? 0) - (payload.auth_time as number) < 60);
  t.is(
    payload.scope,
    'transactions:read transactions:write transactions:delete transactions:approve accounts:read accounts:write audit:read',
  );
});

test('manager without step-up: no acr and no auth_time', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'max', clientId: 'staff-app' });
  const { payload } = await exchange(tokens.access_token);
  t.deepEqual(Object.keys(payload).sort(), [...STANDARD, 'roles', 'department'].sort());
  t.like(payload, { sub: 'max', roles: ['manager'], department: 'private' });
});

test('public agent: agent {id, client_type public} and the consented limits, agent lifetime', async (t) => {
  const tokens = await login({
    issuer: server.issuer,
    username: 'alice',
    clientId: 'chat-app',
    limits: {
      transaction_amount_limit: 50000,
      transaction_not_older_than: 30,
      excluded_categories: ['gambling', 'crypto'],
    },
  });
  const { payload } = await exchange(tokens.access_token);
  t.deepEqual(
    Object.keys(payload).sort(),
    [
      ...STANDARD,
      'department',
      'agent',
      'transaction_amount_limit',
      'transaction_not_older_than',
      'excluded_categories',
    ].sort(),
  );
  t.like(payload, {
    sub: 'alice',
    client_id: 'chat-app',
    agent: { id: 'chat-app', client_type: 'public' },
    transaction_amount_limit: 50000,
    transaction_not_older_than: 30,
    excluded_categories: ['crypto', 'gambling'],
    scope: 'transactions:read transactions:write accounts:read',
  });
  t.is((payload.exp ?? 0) - (payload.iat ?? 0), 300);
});

test('confidential agent: the limits the user changed on the consent page, a full-date cutoff', async (t) => {
  const tokens = await login({
    issuer: server.issuer,
    username: 'bob',
    clientId: 'budget-bot',
    clientSecret: server.secret('budget-bot'),
    limits: { transaction_amount_limit: 100000, transaction_not_older_than: '2026-10-01' },
    consent: { transaction_amount_limit: '20000', excluded_categories: 'gambling' },
  });
  const { payload } = await exchange(tokens.access_token);
  t.like(payload, {
    sub: 'bob',
    client_id: 'budget-bot',
    agent: { id: 'budget-bot', client_type: 'confidential' },
    transaction_amount_limit: 20000,
    transaction_not_older_than: '2026-10-01',
    excluded_categories: ['gambling'],
  });
});

test('agent without limits: agent claim only, no limit claims', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'carol', clientId: 'chat-app' });
  const { payload } = await exchange(tokens.access_token);
  t.deepEqual(Object.keys(payload).sort(), [...STANDARD, 'department', 'agent'].sort());
  t.like(payload, { sub: 'carol', department: 'private', agent: { id: 'chat-app', client_type: 'public' } });
});

test('service client by client credentials: sub == client_id, no roles, no department', async (t) => {
  const tokens = await clientCredentials({
    issuer: server.issuer,
    clientId: 'payments-gateway',
    clientSecret: server.secret('payments-gateway'),
    scope: 'transactions:write accounts:read',
  });
  const { payload } = await exchange(tokens.access_token);
  t.deepEqual(Object.keys(payload).sort(), STANDARD.sort());
  t.like(payload, {
    sub: 'payments-gateway',
    client_id: 'payments-gateway',
    scope: 'transactions:write accounts:read',
  });
});

test('service client cannot be granted scopes outside its registration', async (t) => {
  const tokens = await clientCredentials({
    issuer: server.issuer,
    clientId: 'reporting',
    clientSecret: server.secret('reporting'),
    scope: 'transactions:read transactions:write audit:read',
  });
  const { payload } = await exchange(tokens.access_token);
  t.is(payload.scope, 'transactions:read');
});
