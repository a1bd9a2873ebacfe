import test from 'ava';
import Database from 'better-sqlite3';
import { CUSTOMER_SCOPES, Harness, sample, NEW_TRANSACTION } from '../support/harness.js';

const BODY = NEW_TRANSACTION;
const ALL = CUSTOMER_SCOPES;

test('requests, authentication failures, decisions and the token cache are counted with bounded labels', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const token = await h.token({ sub: 'alice', scope: ALL });
  const created = await h.request('POST', '/transactions', { token, body: BODY });
  await h.request('GET', `/transactions/${created.body.id}`, { token });
  await h.request('GET', `/transactions/${created.body.id}`, {
    token: await h.token({ sub: 'mallory', scope: ALL }),
  });
  await h.request('GET', '/transactions');
  await h.request('GET', '/transactions', { token: await h.token({ exp: h.nowS - 100, iat: h.nowS - 200 }) });
  const text = await h.metrics.registry.metrics();

  t.is(
    sample(text, 'verdict_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/transactions/:id',
      status: '200',
    }),
    1,
  );
  t.is(
    sample(text, 'verdict_http_request_duration_seconds_count', {
      method: 'GET',
      route: '/transactions/:id',
      status: '404',
    }),
    1,
  );
  t.is(
    sample(text, 'verdict_http_request_duration_seconds_count', {
      method: 'POST',
      route: '/transactions',
      status: '201',
    }),
    1,
  );
  t.false(text.includes(created.body.id), 'no resource id in any label');
  t.false(text.includes('alice') || text.includes('mallory'), 'no subject in any label');
  t.is(sample(text, 'verdict_authentication_failures_total', { reason: 'missing_token' }), 1);
  t.is(sample(text, 'verdict_authentication_failures_total', { reason: 'expired' }), 1);
  t.is(sample(text, 'verdict_decisions_total', { action: 'transactions:create', outcome: 'allow' }), 1);
  t.is(sample(text, 'verdict_decisions_total', { action: 'transactions:read', outcome: 'allow' }), 1);
  t.is(sample(text, 'verdict_decisions_total', { action: 'transactions:read', outcome: 'deny' }), 1);
  t.is(sample(text, 'verdict_token_cache_requests_total', { result: 'hit' }), 1);
  t.is(sample(text, 'verdict_token_cache_requests_total', { result: 'miss' }), 2);
});

test('rate-limited requests and audit write failures are counted', async (t) => {
  const h = await Harness.start({ rateLimitPerMin: 2 });
  t.teardown(() => h.stop());
  const token = await h.token({ sub: 'alice', scope: ALL });
  await h.request('GET', '/transactions', { token });
  const db = new Database(h.databasePath);
  db.exec("CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'down'); END");
  db.close();
  t.is((await h.request('POST', '/transactions', { token, body: BODY })).status, 500);
  t.is((await h.request('GET', '/transactions', { token })).status, 429);
  const text = await h.metrics.registry.metrics();
  t.is(sample(text, 'verdict_rate_limited_total', { limiter: 'ip' }), 1);
  t.is(sample(text, 'verdict_audit_write_failures_total'), 1);
});
