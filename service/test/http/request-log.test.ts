import test from 'ava';
import { Harness, NEW_TRANSACTION } from '../support/harness.js';

test('one log line per request with route template, status, client and error code — never a token', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const token = await h.token({ sub: 'logan', client_id: 'log-app' });
  const created = await h.request('POST', '/transactions', {
    token,
    body: { ...NEW_TRANSACTION, account_id: await h.accountFor(token) },
  });
  await h.request('GET', `/transactions/${created.body.id}`, {
    token,
    headers: [['X-Request-Id', 'log-req-1']],
  });
  const expired = await h.token({ iat: h.nowS - 900, exp: h.nowS - 100 });
  await h.request('GET', '/transactions', { token: expired });
  await h.request('GET', `/transactions?access_token=${token}`);
  await h.request('GET', '/transactions', {
    headers: [['Authorization', `Basic ${Buffer.from('u:p').toString('base64')}`]],
  });

  const requests = h.logLines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request');
  t.is(requests.length, 5);
  const read = requests.find((entry) => entry.request_id === 'log-req-1');
  t.like(read, {
    method: 'GET',
    route: '/transactions/:id',
    status: 200,
    client_id: 'log-app',
    sub: 'logan',
  });
  t.is(typeof read.duration_ms, 'number');
  const denied = requests.find((entry) => entry.status === 401 && entry.route === '/transactions');
  t.is(denied.error_code, 'invalid_token');

  const everything = h.logLines.join('\n');
  for (const secret of [token, expired, token.split('.')[2]!, expired.split('.')[1]!, 'dTpw']) {
    t.false(everything.includes(secret), 'no token or credential in any log line');
  }
  t.false(everything.toLowerCase().includes('authorization'), 'no header dump in the log');
});

test('an unexpected error → 500 internal_error with an error id; the stack goes to the log only', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  // Closing the database makes the next store call throw an unexpected error.
  await h.store.close();
  const res = await h.request('GET', '/transactions', { token: await h.token() });
  t.is(res.status, 500);
  t.is(res.body.code, 'internal_error');
  t.regex(res.body.error_id, /^[0-9a-f-]{36}$/);
  t.false(res.text.includes('database'), 'no internal detail reaches the client');
  const logged = h.logLines
    .map((line) => JSON.parse(line))
    .find((entry) => entry.error_id === res.body.error_id);
  t.truthy(logged?.err?.stack);
});
