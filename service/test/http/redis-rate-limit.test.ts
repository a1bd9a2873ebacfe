import test from 'ava';
import { Redis } from 'ioredis';
import { startRedis } from '../../../scripts/servers/redis.mjs';
import type { RedisLimitsConfig } from '../../src/config.js';
import { STORE_FAILURE_LOG_INTERVAL_MS } from '../../src/http/redis-rate-limits.js';
import { Harness, sample } from '../support/harness.js';
import { TestIssuer } from '../support/issuer.js';

// Real Redis (Debian's redis-server), one per test, started on a free loopback port.

/** Polls `condition` every 50 ms until it holds; fails after 15 s (a bound, not a timing assertion). */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function metric(h: Harness, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sample(await h.metrics.registry.metrics(), name, labels) ?? Number.NaN;
}

let issuer: TestIssuer;
test.before(async () => {
  issuer = await TestIssuer.start();
});
test.after.always(() => issuer.stop());

/** A replica of the app whose counters are in `redis`, once its connection is up; one issuer for all. */
async function replica(redis: RedisLimitsConfig, rateLimitPerMin: number): Promise<Harness> {
  // The gateway's address is trusted, so each request can come from a client address of its own.
  const h = await Harness.start({ redis, rateLimitPerMin, issuer, trustedProxies: ['127.0.0.1'] });
  await until(async () => (await metric(h, 'verdict_rate_limit_store_up')) === 1, 'Redis to connect');
  return h;
}

let ip = 0;
/** A request from a client address no other request used, so only the per-client limit counts it. */
function fromNewAddress(h: Harness, token: string) {
  ip++;
  return h.request('GET', '/transactions', {
    token,
    headers: [['X-Forwarded-For', `198.51.${Math.floor(ip / 250)}.${(ip % 250) + 1}`]],
  });
}

function warnings(h: Harness): { msg: string; error: string; failures: number }[] {
  return h.logLines
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg.startsWith('rate-limit store unavailable'));
}

test('two replicas share one counter per client: requests through A and B add up to the limit, then 429 from either', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const config = { url: redis.url, keyPrefix: 'verdict-test', timeoutMs: 2000 };
  const a = await replica(config, 3);
  t.teardown(() => a.stop());
  const b = await replica(config, 3);
  t.teardown(() => b.stop());
  const token = await a.token({ client_id: 'busy-app' });

  const remaining: unknown[] = [];
  for (const h of [a, b, a]) {
    const res = await fromNewAddress(h, token);
    t.is(res.status, 200);
    t.is(res.headers['ratelimit-limit'], '3');
    remaining.push(res.headers['ratelimit-remaining']);
  }
  t.deepEqual(remaining, ['2', '1', '0'], 'each replica sees the points the other spent');

  for (const h of [b, a]) {
    const limited = await fromNewAddress(h, token);
    t.is(limited.status, 429);
    t.is(limited.body.code, 'rate_limited');
    t.regex(String(limited.headers['retry-after']), /^[1-9]\d*$/);
    t.is(limited.headers['ratelimit-limit'], '3');
    t.is(limited.headers['ratelimit-remaining'], '0');
    t.regex(String(limited.headers['ratelimit-reset']), /^\d+$/);
    t.is(await metric(h, 'verdict_rate_limited_total', { limiter: 'client' }), 1);
    t.is(await metric(h, 'verdict_rate_limit_store_errors_total', { limiter: 'client' }), 0);
  }

  // Another deployment on the same Redis, under its own REDIS_KEY_PREFIX, has budgets of its own.
  const other = await replica({ ...config, keyPrefix: 'other-deployment' }, 3);
  t.teardown(() => other.stop());
  const res = await fromNewAddress(other, token);
  t.is(res.status, 200);
  t.is(res.headers['ratelimit-remaining'], '2');
});

test('the per-IP counter is shared too: unauthenticated guesses through A and B add up', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const config = { url: redis.url, keyPrefix: 'verdict-test', timeoutMs: 2000 };
  const a = await replica(config, 2);
  t.teardown(() => a.stop());
  const b = await replica(config, 2);
  t.teardown(() => b.stop());
  const guess = (h: Harness) =>
    h.request('GET', '/transactions', { headers: [['X-Forwarded-For', '203.0.113.5']] });
  t.is((await guess(a)).status, 401);
  t.is((await guess(b)).status, 401);
  const limited = await guess(a);
  t.is(limited.status, 429);
  t.is(limited.body.code, 'rate_limited');
  t.is(await metric(a, 'verdict_rate_limited_total', { limiter: 'ip' }), 1);
});

test('Redis killed → fails open to per-replica memory limits, counted and logged once per interval; back on its port → shared again', async (t) => {
  const first = await startRedis();
  t.teardown(() => first.stop());
  const config = { url: first.url, keyPrefix: 'verdict-test', timeoutMs: 2000 };
  const a = await replica(config, 3);
  t.teardown(() => a.stop());
  const b = await replica(config, 3);
  t.teardown(() => b.stop());
  const token = await a.token({ client_id: 'busy-app' });
  t.is((await fromNewAddress(a, token)).headers['ratelimit-remaining'], '2');

  await first.stop();
  await until(async () => (await metric(a, 'verdict_rate_limit_store_up')) === 0, 'A to see Redis gone');

  // Every request is still answered; each replica limits from its own memory (a fresh window).
  const whileDown: unknown[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await fromNewAddress(a, token);
    t.is(res.status, 200, 'the API stays up without its rate-limit store');
    whileDown.push(res.headers['ratelimit-remaining']);
  }
  t.deepEqual(whileDown, ['2', '1', '0']);
  const limited = await fromNewAddress(a, token);
  t.is(limited.status, 429, 'the in-memory limit still holds in each replica');
  t.is(limited.body.code, 'rate_limited');
  t.is((await fromNewAddress(b, token)).status, 200, "B's memory has not seen A's requests");
  t.is(await metric(a, 'verdict_rate_limit_store_errors_total', { limiter: 'client' }), 4);
  t.is(await metric(a, 'verdict_rate_limit_store_errors_total', { limiter: 'ip' }), 4);
  t.is(await metric(b, 'verdict_rate_limit_store_errors_total', { limiter: 'client' }), 1);

  // One warning however many failures, with the error's message and no key, client or address.
  t.is(warnings(a).length, 1);
  const [warning] = warnings(a);
  t.truthy(warning!.error);
  const storeLines = a.logLines.filter((line) => line.includes('"rate_limit_store"')).join('\n');
  for (const secret of ['busy-app', 'alice', '198.51.', 'verdict-test:rate-limit'])
    t.false(storeLines.includes(secret), `the store's log lines name no ${secret}`);
  // After the interval, the next failure warns again and says how many went unreported.
  a.clockMs += STORE_FAILURE_LOG_INTERVAL_MS;
  await fromNewAddress(a, token);
  t.is(warnings(a).length, 2);
  t.true(warnings(a)[1]!.failures > 1);

  const second = await startRedis({ port: first.port });
  t.teardown(() => second.stop());
  for (const h of [a, b])
    await until(async () => (await metric(h, 'verdict_rate_limit_store_up')) === 1, 'Redis to be back');
  t.true(a.logLines.some((line) => JSON.parse(line).msg.startsWith('rate-limit store answering again')));
  // The restarted Redis holds no counters: the window starts again, shared by both replicas.
  const shared: unknown[] = [];
  for (const h of [a, b]) {
    const res = await fromNewAddress(h, token);
    t.is(res.status, 200);
    shared.push(res.headers['ratelimit-remaining']);
  }
  t.deepEqual(shared, ['2', '1']);
  t.is(await metric(a, 'verdict_rate_limit_store_errors_total', { limiter: 'client' }), 5);
});

test('Redis slower than REDIS_TIMEOUT_MS → the request is answered from memory and counted', async (t) => {
  const redis = await startRedis();
  t.teardown(() => redis.stop());
  const h = await replica({ url: redis.url, keyPrefix: 'verdict-test', timeoutMs: 100 }, 5);
  t.teardown(() => h.stop());
  const token = await h.token({ client_id: 'busy-app' });
  const admin = new Redis(redis.url);
  t.teardown(() => admin.disconnect());
  t.is((await fromNewAddress(h, token)).status, 200);

  // Redis stops running scripts (connected, just slow) for far longer than the timeout; the
  // admin connection's UNPAUSE, no write, still runs.
  await admin.call('CLIENT', 'PAUSE', '5000', 'WRITE');
  const slow = await fromNewAddress(h, token);
  t.is(slow.status, 200);
  t.is(await metric(h, 'verdict_rate_limit_store_errors_total', { limiter: 'ip' }), 1);
  t.is(await metric(h, 'verdict_rate_limit_store_up'), 1, 'slow is not down: the connection stands');
  t.is(warnings(h).length, 1);
  t.regex(warnings(h)[0]!.error, /timed out/i);

  await admin.call('CLIENT', 'UNPAUSE');
  const fast = await fromNewAddress(h, token);
  t.is(fast.status, 200);
  t.is(await metric(h, 'verdict_rate_limit_store_errors_total', { limiter: 'ip' }), 1);
});
