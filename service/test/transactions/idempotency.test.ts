import test from 'ava';
import { Harness } from '../support/harness.js';

const h = await Harness.start();
test.after.always(() => h.stop());

const BODY = {
  amount_minor: 999,
  currency: 'EUR',
  category: 'dining',
  counterparty: { name: 'Cafe', account: 'FR76300060' },
};

/** Creates as the token's holder, on their own account. */
async function post(options: { token: string; body: Record<string, unknown>; headers: [string, string][] }) {
  const body = { ...options.body, account_id: await h.accountFor(options.token) };
  return h.request('POST', '/transactions', { ...options, body });
}

test('the same key and body replay the first response without creating twice', async (t) => {
  const token = await h.token({ sub: 'idem-1' });
  const headers: [string, string][] = [['Idempotency-Key', 'key-abc-1']];
  const first = await post({ token, body: BODY, headers });
  t.is(first.status, 201);
  const again = await post({ token, body: { ...BODY }, headers });
  t.is(again.status, 201);
  t.deepEqual(again.body, first.body);
  t.is(again.headers.location, first.headers.location);
  t.is(again.headers['idempotent-replayed'], 'true');
  t.is(first.headers.etag, '"1"');
  t.is(again.headers.etag, first.headers.etag, 'a replay carries the ETag of what it created');
  const list = await h.request('GET', '/transactions', { token });
  t.is(list.body.items.length, 1);
});

test('member order does not change the fingerprint', async (t) => {
  const token = await h.token({ sub: 'idem-2' });
  const headers: [string, string][] = [['Idempotency-Key', 'order-key']];
  const first = await post({ token, body: BODY, headers });
  const reordered = Object.fromEntries(Object.entries(BODY).reverse());
  const again = await post({ token, body: reordered, headers });
  t.is(again.status, 201);
  t.is(again.body.id, first.body.id);
});

test('the same key with another body → 409 idempotency_conflict', async (t) => {
  const token = await h.token({ sub: 'idem-3' });
  const headers: [string, string][] = [['Idempotency-Key', 'conflict-key']];
  t.is((await post({ token, body: BODY, headers })).status, 201);
  const res = await post({
    token,
    body: { ...BODY, amount_minor: 1000 },
    headers,
  });
  t.is(res.status, 409);
  t.is(res.body.code, 'idempotency_conflict');
});

test('keys are scoped to the caller: another subject’s same key creates its own transaction', async (t) => {
  const headers: [string, string][] = [['Idempotency-Key', 'shared-key']];
  const a = await post({
    token: await h.token({ sub: 'idem-4a' }),
    body: BODY,
    headers,
  });
  const b = await post({
    token: await h.token({ sub: 'idem-4b' }),
    body: BODY,
    headers,
  });
  t.is(a.status, 201);
  t.is(b.status, 201);
  t.not(a.body.id, b.body.id);
  t.is(b.body.owner, 'idem-4b');
});

test('concurrent requests with one key create exactly one transaction', async (t) => {
  const token = await h.token({ sub: 'idem-5' });
  const headers: [string, string][] = [['Idempotency-Key', 'race-key']];
  const responses = await Promise.all(Array.from({ length: 8 }, () => post({ token, body: BODY, headers })));
  t.true(responses.every((res) => res.status === 201));
  t.is(new Set(responses.map((res) => res.body.id)).size, 1);
  t.is((await h.request('GET', '/transactions', { token })).body.items.length, 1);
});

test('a malformed Idempotency-Key → 400 validation_failed', async (t) => {
  const res = await post({
    token: await h.token(),
    body: BODY,
    headers: [['Idempotency-Key', 'x'.repeat(300)]],
  });
  t.is(res.status, 400);
  t.is(res.body.code, 'validation_failed');
  t.is(res.body.errors[0].field, 'headers.Idempotency-Key');
});

test('an Idempotency-Key outside its declared pattern, empty included → 400 validation_failed', async (t) => {
  const token = await h.token({ sub: 'idem-bad' });
  for (const key of ['', 'with space', 'x'.repeat(256)]) {
    const res = await post({ token, body: BODY, headers: [['Idempotency-Key', key]] });
    t.is(res.status, 400, JSON.stringify(key));
    t.is(res.body.code, 'validation_failed');
    t.is(res.body.errors[0].field, 'headers.Idempotency-Key');
  }
  t.is((await h.store.list({ limit: 10 }, [{ owner: 'idem-bad' }])).items.length, 0);
});
