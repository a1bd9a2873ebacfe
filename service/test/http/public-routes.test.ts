import test from 'ava';
import { Harness } from '../support/harness.js';

// Each test owns a harness and its JWKS endpoint, whose fetches it counts.

const PROBES = 300;

/** Sends `count` readiness probes one after another; returns their status codes and problem codes. */
async function probe(h: Harness, count = PROBES): Promise<Set<string>> {
  const answers = new Set<string>();
  for (let i = 0; i < count; i++) {
    const res = await h.request('GET', '/health/ready');
    answers.add(`${res.status} ${res.body?.code ?? res.body?.status}`);
  }
  return answers;
}

test('300 readiness probes with the JWKS endpoint down → 503 not_ready and one JWKS fetch', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  h.issuer.failWith = 500;
  t.deepEqual(await probe(h), new Set(['503 not_ready']));
  t.is(h.issuer.fetches, 1);
  const res = await h.request('GET', '/health/ready');
  t.deepEqual(res.body.failing, ['signing_keys']);

  h.issuer.failWith = undefined;
  h.clockMs += 29_000;
  t.deepEqual(await probe(h, 10), new Set(['503 not_ready']), 'still within the cooldown: no fetch');
  t.is(h.issuer.fetches, 1);
  h.clockMs += 1_000;
  t.deepEqual(await probe(h), new Set(['200 ready']), 'after the cooldown, one fetch loads the keys');
  t.is(h.issuer.fetches, 2);
});

test('300 readiness probes with an empty JWKS → 503 not_ready and one JWKS fetch', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  h.issuer.keys = [];
  t.deepEqual(await probe(h), new Set(['503 not_ready']));
  t.is(h.issuer.fetches, 1);
});

test('300 concurrent readiness probes with the JWKS endpoint down → one JWKS fetch', async (t) => {
  const h = await Harness.start({ cooldownS: 30 });
  t.teardown(() => h.stop());
  h.issuer.failWith = 503;
  const answers = await Promise.all(Array.from({ length: PROBES }, () => h.request('GET', '/health/ready')));
  t.true(answers.every((res) => res.status === 503 && res.body.code === 'not_ready'));
  t.is(h.issuer.fetches, 1);
});

test('with keys loaded, readiness reads the key set and fetches nothing, even with the JWKS down', async (t) => {
  const h = await Harness.start({ cooldownS: 30, cacheMaxAgeS: 60 });
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/transactions', { token: await h.token() })).status, 200);
  const fetched = h.issuer.fetches;
  h.issuer.failWith = 500;
  h.clockMs += 120_000;
  t.deepEqual(await probe(h), new Set(['200 ready']));
  t.is(h.issuer.fetches, fetched);
});

test('the per-IP limit covers /health/ready and /openapi.json → 429 rate_limited; /health/live stays 200', async (t) => {
  const h = await Harness.start({ rateLimitPerMin: 2 });
  t.teardown(() => h.stop());
  t.is((await h.request('GET', '/health/ready')).status, 200);
  t.is((await h.request('GET', '/openapi.json')).status, 200);
  for (const path of ['/health/ready', '/openapi.json', '/transactions']) {
    const res = await h.request('GET', path);
    t.is(res.status, 429, `${path}: ${res.text}`);
    t.is(res.body.code, 'rate_limited');
    t.regex(String(res.headers['retry-after']), /^[1-9]\d*$/);
  }
  for (let i = 0; i < 5; i++) {
    const live = await h.request('GET', '/health/live');
    t.is(live.status, 200);
    t.deepEqual(live.body, { status: 'ok' });
  }
});

test('a method /health/live does not have → 405 method_not_allowed', async (t) => {
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const res = await h.request('POST', '/health/live');
  t.is(res.status, 405, res.text);
  t.is(res.body.code, 'method_not_allowed');
});
