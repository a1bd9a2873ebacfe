import test from 'ava';
import { authorize, exchangeCode, login, LoginError, tokenRequest } from '../src/login.js';
import { startAuthServer } from './support/auth-server.js';

// The authorization-code + PKCE login through the real login and consent pages.
const server = await startAuthServer();
test.after.always(() => server.cleanup());

test('code + PKCE login → an opaque access token, not a JWT', async (t) => {
  const tokens = await login({ issuer: server.issuer, username: 'alice' });
  t.is(tokens.token_type, 'Bearer');
  t.is(tokens.expires_in, 600);
  t.regex(tokens.access_token, /^[\w-]{43}$/);
  t.false(tokens.access_token.includes('.'));
  t.is(tokens.scope, 'transactions:read transactions:write transactions:delete accounts:read accounts:write');
  t.is(tokens.refresh_token, undefined);
});

test('PKCE is required: an authorization request without code_challenge is refused', async (t) => {
  const url = new URL(`${server.issuer}/auth`);
  for (const [name, value] of Object.entries({
    client_id: 'web-app',
    response_type: 'code',
    redirect_uri: 'http://127.0.0.1/callback',
    scope: 'openid transactions:read',
    state: 'state-1',
  }))
    url.searchParams.set(name, value);
  const res = await fetch(url, { redirect: 'manual' });
  t.is(res.status, 303);
  const to = new URL(res.headers.get('location') ?? '');
  t.is(`${to.origin}${to.pathname}`, 'http://127.0.0.1/callback');
  t.is(to.searchParams.get('error'), 'invalid_request');
  t.regex(to.searchParams.get('error_description') ?? '', /PKCE/);
});

test('PKCE is required: a code exchanged without its code_verifier → invalid_grant', async (t) => {
  const authorization = await authorize({ issuer: server.issuer, username: 'alice' });
  const error = await t.throwsAsync(
    tokenRequest(
      authorization.tokenEndpoint,
      { grant_type: 'authorization_code', code: authorization.code, redirect_uri: authorization.redirectUri },
      { id: 'web-app' },
    ),
  );
  t.is(error.message, 'invalid_grant: grant request is invalid');
  const wrong = await t.throwsAsync(exchangeCode({ ...authorization, codeVerifier: 'x'.repeat(43) }));
  t.regex(wrong.message, /^invalid_grant/);
});

test('wrong password → login_failed on the login page', async (t) => {
  const error = await t.throwsAsync(login({ issuer: server.issuer, username: 'alice', password: 'nope' }), {
    instanceOf: LoginError,
  });
  t.is(error.code, 'login_failed');
  t.regex(error.message, /^401: Wrong username or password/);
});

test('acr_values=urn:verdict:acr:mfa without the one-time code → login_failed', async (t) => {
  const error = await t.throwsAsync(
    login({
      issuer: server.issuer,
      username: 'mia',
      clientId: 'staff-app',
      params: { acr_values: 'urn:verdict:acr:mfa' },
    }),
    { instanceOf: LoginError },
  );
  t.is(error.code, 'login_failed');
  t.regex(error.message, /one-time code/);
});

test('a wrong one-time code → login_failed', async (t) => {
  const error = await t.throwsAsync(
    login({ issuer: server.issuer, username: 'mia', clientId: 'staff-app', mfa: true, otp: '123456' }),
    { instanceOf: LoginError },
  );
  t.is(error.code, 'login_failed');
});

test('staff cannot log in through the customer app, nor customers through the staff app', async (t) => {
  for (const [username, clientId] of [
    ['mia', 'web-app'],
    ['alice', 'staff-app'],
  ] as const) {
    const error = await t.throwsAsync(login({ issuer: server.issuer, username, clientId }), {
      instanceOf: LoginError,
    });
    t.is(error.code, 'authorization_failed');
    t.regex(error.message, /^access_denied/);
  }
});

test('agents get no refresh token, even asking for offline_access; the web app does', async (t) => {
  const scope = 'transactions:read offline_access';
  const web = await login({ issuer: server.issuer, username: 'alice', scope });
  t.is(typeof web.refresh_token, 'string');
  const chat = await login({ issuer: server.issuer, username: 'alice', clientId: 'chat-app', scope });
  t.is(chat.refresh_token, undefined);
  t.is(chat.expires_in, 300);
  const bot = await login({
    issuer: server.issuer,
    username: 'alice',
    clientId: 'budget-bot',
    clientSecret: server.secret('budget-bot'),
    scope,
  });
  t.is(bot.refresh_token, undefined);
});

test('an invalid agent limit in the authorization request → invalid_request', async (t) => {
  const error = await t.throwsAsync(
    login({
      issuer: server.issuer,
      username: 'alice',
      clientId: 'chat-app',
      limits: { transaction_amount_limit: '12.50' },
    }),
    { instanceOf: LoginError },
  );
  t.is(error.code, 'authorization_failed');
  t.regex(error.message, /^invalid_request: transaction_amount_limit/);
});

test('an invalid limit typed on the consent page is shown again, not issued', async (t) => {
  const error = await t.throwsAsync(
    login({
      issuer: server.issuer,
      username: 'alice',
      clientId: 'chat-app',
      consent: { transaction_not_older_than: 'last week' },
    }),
    { instanceOf: LoginError },
  );
  t.is(error.code, 'login_failed');
  t.regex(error.message, /^400: transaction_not_older_than/);
});
