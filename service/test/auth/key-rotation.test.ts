import test from 'ava';
import { RemoteKeySet } from '../../src/auth/key-set.js';
import { createLogger } from '../../src/logger.js';
import { baseClaims, makeKey, sign, TestIssuer } from '../support/issuer.js';
import { FROZEN_NOW_MS, Harness } from '../support/harness.js';

// Every test here moves the clock or the issuer, so they run one after another on fresh harnesses.

test.serial('unknown kid → 401; the rotated-in key is accepted after the cooldown, no restart', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/transactions', { token: await h.token() })).status, 200);
  const fetchesBefore = h.issuer.fetches;

  const rotated = await makeKey('ES256');
  const token = await sign(rotated, baseClaims(h.nowS));
  const early = await h.request('GET', '/transactions', { token });
  t.is(early.status, 401, 'a kid the key set does not have is not accepted');
  t.is(early.body.code, 'invalid_token');

  h.issuer.keys.push(rotated);
  h.clockMs += 5_000;
  const withinCooldown = await h.request('GET', '/transactions', { token });
  t.is(withinCooldown.status, 401, 'within the cooldown the key set is not fetched again');
  t.is(withinCooldown.body.code, 'invalid_token');

  h.clockMs += 30_000;
  const after = await h.request('GET', '/transactions', { token: await sign(rotated, baseClaims(h.nowS)) });
  t.is(after.status, 200, after.text);
  t.true(h.issuer.fetches > fetchesBefore);
});

test.serial('a flood of unknown kids causes at most one JWKS fetch per cooldown', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  await h.request('GET', '/transactions', { token: await h.token() });
  h.clockMs += 31_000;
  const before = h.issuer.fetches;
  const stranger = await makeKey('ES256');
  const responses = await Promise.all(
    Array.from({ length: 20 }, async () =>
      h.request('GET', '/transactions', { token: await sign(stranger, baseClaims(h.nowS)) }),
    ),
  );
  t.true(responses.every((res) => res.status === 401 && res.body.code === 'invalid_token'));
  t.is(h.issuer.fetches - before, 1);
});

test.serial('JWKS down: a cached key keeps working past the cache max age', async (t) => {
  const h = await Harness.start({ cooldownS: 30, cacheMaxAgeS: 60 });
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/transactions', { token: await h.token() })).status, 200);
  h.issuer.failWith = 500;
  h.clockMs += 120_000;
  const res = await h.request('GET', '/transactions', { token: await h.token() });
  t.is(res.status, 200, res.text);
  t.true(h.logLines.some((line) => line.includes('signing key set fetch failed')));
});

test.serial('JWKS down and an unknown kid → 503 authorization_server_unavailable', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/transactions', { token: await h.token() })).status, 200);
  h.issuer.failWith = 503;
  h.clockMs += 31_000;
  const res = await h.request('GET', '/transactions', {
    token: await sign(await makeKey('ES256'), baseClaims(h.nowS)),
  });
  t.is(res.status, 503);
  t.is(res.body.code, 'authorization_server_unavailable');
  t.is(res.headers['retry-after'], '5');
});

test.serial('JWKS unreachable at start and no key → 503, recovering one cooldown later', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  h.issuer.failWith = 500;
  const down = await h.request('GET', '/transactions', { token: await h.token() });
  t.is(down.status, 503);
  t.is(down.body.code, 'authorization_server_unavailable');
  h.issuer.failWith = undefined;
  h.clockMs += 29_000;
  const early = await h.request('GET', '/transactions', { token: await h.token() });
  t.is(early.status, 503, 'without keys too, no fetch within the cooldown');
  t.is(early.body.code, 'authorization_server_unavailable');
  t.is(h.issuer.fetches, 1);
  h.clockMs += 1_000;
  const up = await h.request('GET', '/transactions', { token: await h.token() });
  t.is(up.status, 200, up.text);
  t.is(h.issuer.fetches, 2);
});

test.serial('refresh() fetches at most once per cooldown, whoever calls it', async (t) => {
  const issuer = await TestIssuer.start();
  t.teardown(() => issuer.stop());
  issuer.failWith = 500;
  let clockMs = FROZEN_NOW_MS;
  const keySet = new RemoteKeySet({
    url: issuer.jwksUrl,
    cooldownMs: 30_000,
    cacheMaxAgeMs: 600_000,
    now: () => clockMs,
    logger: createLogger('silent'),
  });
  const answers = await Promise.all(Array.from({ length: 100 }, () => keySet.refresh()));
  for (let i = 0; i < 200; i++) answers.push(await keySet.refresh());
  t.true(answers.every((ready) => !ready));
  t.is(issuer.fetches, 1);
  issuer.failWith = undefined;
  clockMs += 30_000;
  t.true(await keySet.refresh());
  t.true(keySet.ready);
  t.is(issuer.fetches, 2);
});

test.serial(
  'a key set that withdraws every key → 503 authorization_server_unavailable, cache flushed',
  async (t) => {
    const h = await Harness.start({ cooldownS: 30, cacheMaxAgeS: 60 });
    t.teardown(() => h.stop());
    const [cached, fresh] = [await h.token(), await h.token()];
    t.is((await h.request('GET', '/transactions', { token: cached })).status, 200);
    h.issuer.keys = [];
    h.clockMs += 61_000;
    for (const candidate of [cached, fresh]) {
      const res = await h.request('GET', '/transactions', { token: candidate });
      t.is(res.status, 503, res.text);
      t.is(res.body.code, 'authorization_server_unavailable');
    }
    t.is(h.cache.size, 0);
  },
);

test.serial('a hot token is verified once and then served from the cache', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const token = await h.token();
  for (let i = 0; i < 5; i++) t.is((await h.request('GET', '/transactions', { token })).status, 200);
  t.deepEqual(h.cache.stats, { hits: 4, misses: 1 });
});

test.serial('a cached token stops working at its exp', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const token = await h.token({ exp: h.nowS + 60 });
  t.is((await h.request('GET', '/transactions', { token })).status, 200);
  h.clockMs += 120_000;
  const res = await h.request('GET', '/transactions', { token });
  t.is(res.status, 401);
  t.is(res.body.code, 'invalid_token');
});

test.serial('a changed key set flushes the verified-token cache', async (t) => {
  const h = await Harness.start({ cooldownS: 30, cacheMaxAgeS: 60 });
  t.teardown(() => h.stop());
  const token = await h.token();
  t.is((await h.request('GET', '/transactions', { token })).status, 200);
  t.is(h.cache.size, 1);
  // The issuer revokes the ES256 key; after the cache max age the set is refetched.
  h.issuer.keys = h.issuer.keys.filter((key) => key.alg !== 'ES256');
  h.clockMs += 61_000;
  const res = await h.request('GET', '/transactions', { token });
  t.is(res.status, 401, 'a token signed by a removed key is verified again and refused');
  t.is(res.body.code, 'invalid_token');
});
