import test from 'ava';
import { Harness } from '../support/harness.js';

const h = await Harness.start({ corsOrigins: ['https://app.example'], trustedProxies: ['127.0.0.1'] });
test.after.always(() => h.stop());

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

test('security headers on success, on errors and on public routes; no X-Powered-By', async (t) => {
  const responses = [
    await h.request('GET', '/transactions', { token: await h.token() }),
    await h.request('GET', '/transactions'),
    await h.request('GET', '/nowhere'),
    await h.request('GET', '/health/live'),
  ];
  for (const res of responses) {
    t.like(res.headers, SECURITY_HEADERS, `status ${res.status}`);
    t.is(res.headers['x-powered-by'], undefined);
    t.is(res.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
  }
});

test('HSTS when a trusted proxy says the request came over TLS', async (t) => {
  const res = await h.request('GET', '/health/live', { headers: [['X-Forwarded-Proto', 'https']] });
  t.regex(String(res.headers['strict-transport-security']), /^max-age=\d+/);
});

test('a well-formed X-Request-Id is echoed in the header and the problem body', async (t) => {
  const res = await h.request('GET', '/transactions', { headers: [['X-Request-Id', 'trace-123.abc']] });
  t.is(res.headers['x-request-id'], 'trace-123.abc');
  t.is(res.body.request_id, 'trace-123.abc');
});

test('a malformed X-Request-Id is replaced by a generated one', async (t) => {
  const res = await h.request('GET', '/health/live', {
    headers: [['X-Request-Id', 'bad id with spaces <script>']],
  });
  t.regex(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('problem details are RFC 9457 with a stable code', async (t) => {
  const res = await h.request('GET', '/transactions');
  t.is(res.headers['content-type'], 'application/problem+json');
  t.deepEqual(Object.keys(res.body).sort(), ['code', 'detail', 'request_id', 'status', 'title', 'type']);
  t.is(res.body.type, 'urn:verdict:problem:invalid_token');
  t.is(res.body.status, 401);
});

test('CORS: an allowed origin gets CORS headers and its preflight is answered', async (t) => {
  const preflight = await h.request('OPTIONS', '/transactions', {
    headers: [
      ['Origin', 'https://app.example'],
      ['Access-Control-Request-Method', 'POST'],
      ['Access-Control-Request-Headers', 'authorization, content-type'],
    ],
  });
  t.is(preflight.status, 204);
  t.is(preflight.headers['access-control-allow-origin'], 'https://app.example');
  t.regex(String(preflight.headers['access-control-allow-headers']), /Authorization/);
  t.regex(String(preflight.headers['access-control-allow-methods']), /PATCH/);
  const res = await h.request('GET', '/transactions', {
    token: await h.token(),
    headers: [['Origin', 'https://app.example']],
  });
  t.is(res.headers['access-control-allow-origin'], 'https://app.example');
  t.regex(String(res.headers['access-control-expose-headers']), /ETag/);
});

test('CORS: another origin gets no CORS headers, preflight included', async (t) => {
  const preflight = await h.request('OPTIONS', '/transactions', {
    headers: [
      ['Origin', 'https://evil.example'],
      ['Access-Control-Request-Method', 'POST'],
    ],
  });
  t.is(preflight.headers['access-control-allow-origin'], undefined);
  t.is(preflight.headers['access-control-allow-methods'], undefined);
  const res = await h.request('GET', '/transactions', {
    token: await h.token(),
    headers: [['Origin', 'https://evil.example']],
  });
  t.is(res.status, 200);
  t.is(res.headers['access-control-allow-origin'], undefined);
});

test('health and OpenAPI need no token', async (t) => {
  t.is((await h.request('GET', '/health/live')).status, 200);
  const ready = await h.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.is(ready.body.status, 'ready');
  const openapi = await h.request('GET', '/openapi.json');
  t.is(openapi.status, 200);
  t.is(openapi.body.openapi, '3.1.0');
  t.truthy(openapi.body.components.schemas.TransactionCreate);
});
