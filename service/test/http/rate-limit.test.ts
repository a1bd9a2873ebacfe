import test from 'ava';
import { Harness } from '../support/harness.js';

test('per-client limit: RateLimit headers count down, then 429 rate_limited with Retry-After', async (t) => {
  const h = await Harness.start({ rateLimitPerMin: 3 });
  t.teardown(() => h.stop());
  const token = await h.token({ client_id: 'busy-app' });
  const remaining: string[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await h.request('GET', '/transactions', { token });
    t.is(res.status, 200);
    t.is(res.headers['ratelimit-limit'], '3');
    remaining.push(String(res.headers['ratelimit-remaining']));
    t.regex(String(res.headers['ratelimit-reset']), /^\d+$/);
  }
  t.deepEqual(remaining, ['2', '1', '0']);
  const limited = await h.request('GET', '/transactions', { token });
  t.is(limited.status, 429);
  t.is(limited.body.code, 'rate_limited');
  t.regex(String(limited.headers['retry-after']), /^[1-9]\d*$/);
  t.is(limited.headers['ratelimit-remaining'], '0');
});

test('per-IP limit applies before authentication, so token guessing is throttled too', async (t) => {
  const h = await Harness.start({ rateLimitPerMin: 2 });
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/transactions', { token: 'guess.one.x' })).status, 401);
  t.is((await h.request('GET', '/transactions', { token: 'guess.two.x' })).status, 401);
  const res = await h.request('GET', '/transactions', { token: 'guess.three.x' });
  t.is(res.status, 429);
  t.is(res.body.code, 'rate_limited');
});

test('X-Forwarded-For is honoured only from a trusted proxy', async (t) => {
  const untrusted = await Harness.start({ rateLimitPerMin: 1 });
  t.teardown(() => untrusted.stop());
  const spoof = (ip: string) =>
    untrusted.request('GET', '/transactions', { headers: [['X-Forwarded-For', ip]] });
  t.is((await spoof('198.51.100.1')).status, 401);
  t.is((await spoof('198.51.100.2')).status, 429, 'a spoofed X-Forwarded-For does not buy a new IP budget');

  const trusted = await Harness.start({ rateLimitPerMin: 1, trustedProxies: ['127.0.0.0/8'] });
  t.teardown(() => trusted.stop());
  const forwarded = (ip: string) =>
    trusted.request('GET', '/transactions', { headers: [['X-Forwarded-For', ip]] });
  t.is((await forwarded('198.51.100.1')).status, 401);
  t.is(
    (await forwarded('198.51.100.2')).status,
    401,
    'behind a trusted proxy each client address has its own budget',
  );
  t.is((await forwarded('198.51.100.1')).status, 429);
  const line = trusted.logLines.map((l) => JSON.parse(l)).find((entry) => entry.msg === 'request');
  t.is(line.client_ip, '198.51.100.1');
});

test('the per-client limit counts each user of an app apart', async (t) => {
  const h = await Harness.start({ rateLimitPerMin: 2 });
  t.teardown(() => h.stop());
  const alice = await h.token({ sub: 'alice', client_id: 'shared-app' });
  const bob = await h.token({ sub: 'bob', client_id: 'shared-app' });
  // Keyed on client_id alone, bob's request would see alice's spent point (remaining 0).
  t.is((await h.request('GET', '/transactions', { token: alice })).headers['ratelimit-remaining'], '1');
  t.is((await h.request('GET', '/transactions', { token: bob })).headers['ratelimit-remaining'], '1');
});

test('a forwarded hop that is not an IP address ends the X-Forwarded-For walk', async (t) => {
  const h = await Harness.start({ trustedProxies: ['127.0.0.1'] });
  t.teardown(() => h.stop());
  await h.request('GET', '/health/live', { headers: [['X-Forwarded-For', '198.51.100.7, garbage']] });
  await h.request('GET', '/health/live', { headers: [['X-Forwarded-For', '[::1]:80']] });
  await h.request('GET', '/health/live', { headers: [['X-Forwarded-For', '203.0.113.9, 198.51.100.8']] });
  const ips = h.logLines
    .map((line) => JSON.parse(line))
    .filter((e) => e.msg === 'request')
    .map((e) => e.client_ip);
  t.deepEqual(ips, ['127.0.0.1', '127.0.0.1', '198.51.100.8']);
});
