import test from 'ava';
import { Harness } from '../support/harness.js';

// Tests that move the clock run serially (before the others) and put it back.
const h = await Harness.start();
test.after.always(() => h.stop());

const NEW = {
  account_id: 'acct-alice-1',
  amount_minor: 12050,
  currency: 'EUR',
  category: 'groceries',
  counterparty: { name: 'Corner Market', account: 'DE0012345678' },
  note: 'weekly shop',
};

/** Creates as the token's holder, on their own account unless the body names another. */
async function create(token: string, body: Record<string, unknown> = NEW, headers: [string, string][] = []) {
  const account = body.account_id === NEW.account_id ? { account_id: await h.accountFor(token) } : {};
  return h.request('POST', '/transactions', { token, body: { ...body, ...account }, headers });
}

test('create → 201 with Location, ETag and the stored transaction', async (t) => {
  const token = await h.token({ sub: 'cara', department: 'private' });
  const res = await create(token);
  t.is(res.status, 201, res.text);
  t.regex(res.body.id, /^[0-9a-f-]{36}$/);
  t.is(res.headers.location, `/transactions/${res.body.id}`);
  t.is(res.headers.etag, '"1"');
  t.like(res.body, {
    owner: 'cara',
    status: 'pending',
    department: 'private',
    version: 1,
    amount_minor: 12050,
  });
  t.is(res.body.created_at, '2026-11-23T10:00:00.000Z');
  const read = await h.request('GET', res.headers.location as string, { token });
  t.is(read.status, 200);
  t.deepEqual(read.body, res.body);
});

test('create without a department claim uses the default department', async (t) => {
  const res = await create(await h.token({ sub: 'dora' }));
  t.is(res.status, 201);
  t.is(res.body.department, 'retail');
});

test('read → 200 with a strong ETag of the version', async (t) => {
  const token = await h.token({ sub: 'erin' });
  const { body } = await create(token);
  const res = await h.request('GET', `/transactions/${body.id}`, { token });
  t.is(res.status, 200);
  t.is(res.headers.etag, '"1"');
});

test('read of an unknown id → 404 not_found; a malformed id → 404 not_found', async (t) => {
  const token = await h.token();
  for (const id of ['7d4c5b6a-1111-4222-8333-944455556666', 'not-a-uuid', '1%27%20OR%201=1']) {
    const res = await h.request('GET', `/transactions/${id}`, { token });
    t.is(res.status, 404, id);
    t.is(res.body.code, 'not_found');
  }
});

test('PATCH with If-Match changes note and category and bumps the version', async (t) => {
  const token = await h.token({ sub: 'fred' });
  const { body } = await create(token);
  const res = await h.request('PATCH', `/transactions/${body.id}`, {
    token,
    body: { note: 'changed', category: 'dining' },
    headers: [['If-Match', '"1"']],
  });
  t.is(res.status, 200, res.text);
  t.like(res.body, { note: 'changed', category: 'dining', version: 2 });
  t.is(res.headers.etag, '"2"');
});

test('PATCH without If-Match → 428 precondition_required', async (t) => {
  const token = await h.token({ sub: 'gina' });
  const { body } = await create(token);
  const res = await h.request('PATCH', `/transactions/${body.id}`, { token, body: { note: 'x' } });
  t.is(res.status, 428);
  t.is(res.body.code, 'precondition_required');
});

test('PATCH with a stale If-Match → 412 precondition_failed and nothing changes', async (t) => {
  const token = await h.token({ sub: 'hank' });
  const { body } = await create(token);
  const first = await h.request('PATCH', `/transactions/${body.id}`, {
    token,
    body: { note: 'a' },
    headers: [['If-Match', '"1"']],
  });
  t.is(first.status, 200);
  const stale = await h.request('PATCH', `/transactions/${body.id}`, {
    token,
    body: { note: 'b' },
    headers: [['If-Match', '"1"']],
  });
  t.is(stale.status, 412);
  t.is(stale.body.code, 'precondition_failed');
  const weak = await h.request('PATCH', `/transactions/${body.id}`, {
    token,
    body: { note: 'b' },
    headers: [['If-Match', 'W/"2"']],
  });
  t.is(weak.status, 412, 'a weak ETag never matches If-Match');
  t.is((await h.request('GET', `/transactions/${body.id}`, { token })).body.note, 'a');
});

test('control characters in free text → 400 validation_failed; line breaks and tabs in a note are kept', async (t) => {
  // PostgreSQL text cannot hold NUL: refused for every driver, so no store answers 500 for it.
  const token = await h.token({ sub: 'nell' });
  const cases: [string, Record<string, unknown>][] = [
    ['body.note', { ...NEW, note: 'a\u0000b' }],
    ['body.note', { ...NEW, note: 'bell\u0007' }],
    [
      'body.counterparty.name',
      { ...NEW, counterparty: { name: 'Corner\u0000Market', account: 'DE0012345678' } },
    ],
    ['body.counterparty.name', { ...NEW, counterparty: { name: 'Corner\nMarket', account: 'DE0012345678' } }],
  ];
  for (const [field, body] of cases) {
    const res = await create(token, body);
    t.is(res.status, 400, `${field}: ${res.text}`);
    t.is(res.body.code, 'validation_failed');
    t.true(
      (res.body.errors as { field: string }[]).some((error) => error.field === field),
      JSON.stringify(res.body.errors),
    );
  }
  const created = await create(token, { ...NEW, note: 'line one\nline two\tand a tab\r\n' });
  t.is(created.status, 201, created.text);
  t.is(created.body.note, 'line one\nline two\tand a tab\r\n');
  const patched = await h.request('PATCH', `/transactions/${created.body.id}`, {
    token,
    body: { note: 'x\u0000' },
    headers: [['If-Match', '"1"']],
  });
  t.is(patched.status, 400);
  t.is(patched.body.code, 'validation_failed');
});

test('PATCH of fields other than note and category → 400 validation_failed naming them', async (t) => {
  const token = await h.token({ sub: 'ivan' });
  const { body } = await create(token);
  for (const field of ['owner', 'status', 'amount_minor', 'department', 'version']) {
    const res = await h.request('PATCH', `/transactions/${body.id}`, {
      token,
      body: { [field]: 1 },
      headers: [['If-Match', '"1"']],
    });
    t.is(res.status, 400, field);
    t.is(res.body.code, 'validation_failed');
    t.deepEqual(res.body.errors, [{ field: `body.${field}`, message: 'is not allowed' }]);
  }
});

test('DELETE → 204, then 404', async (t) => {
  const token = await h.token({ sub: 'jane', ...h.steppedUp });
  const { body } = await create(token);
  const res = await h.request('DELETE', `/transactions/${body.id}`, { token });
  t.is(res.status, 204);
  t.is(res.text, '');
  const gone = await h.request('GET', `/transactions/${body.id}`, { token });
  t.is(gone.status, 404);
  t.is(gone.body.code, 'not_found');
});

test('DELETE with a stale If-Match → 412', async (t) => {
  const token = await h.token({ sub: 'kate', ...h.steppedUp });
  const { body } = await create(token);
  const res = await h.request('DELETE', `/transactions/${body.id}`, {
    token,
    headers: [['If-Match', '"7"']],
  });
  t.is(res.status, 412);
  t.is(res.body.code, 'precondition_failed');
});

test.serial('list → only the caller’s transactions, newest first, with cursor pagination', async (t) => {
  const frozen = h.clockMs;
  t.teardown(() => {
    h.clockMs = frozen;
  });
  const token = await h.token({ sub: 'liam' });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    h.clockMs += 1000;
    ids.push((await create(token, { ...NEW, amount_minor: 100 + i })).body.id);
  }
  await create(await h.token({ sub: 'someone-else' }));
  const first = await h.request('GET', '/transactions?limit=2', { token });
  t.is(first.status, 200);
  t.deepEqual(
    first.body.items.map((item: any) => item.id),
    [ids[4], ids[3]],
  );
  t.is(typeof first.body.next_cursor, 'string');
  const second = await h.request('GET', `/transactions?limit=2&cursor=${first.body.next_cursor}`, { token });
  t.deepEqual(
    second.body.items.map((item: any) => item.id),
    [ids[2], ids[1]],
  );
  const third = await h.request('GET', `/transactions?limit=2&cursor=${second.body.next_cursor}`, { token });
  t.deepEqual(
    third.body.items.map((item: any) => item.id),
    [ids[0]],
  );
  t.is(third.body.next_cursor, null);
});

test.serial('list filters: category, status, amount range and time range', async (t) => {
  const frozen = h.clockMs;
  t.teardown(() => {
    h.clockMs = frozen;
  });
  const token = await h.token({ sub: 'mona' });
  const start = h.clockMs;
  await create(token, { ...NEW, amount_minor: 500, category: 'dining' });
  h.clockMs = start + 60_000;
  await create(token, { ...NEW, amount_minor: 5000, category: 'travel' });
  h.clockMs = start + 120_000;
  await create(token, { ...NEW, amount_minor: 50000, category: 'travel' });
  const get = async (query: string) =>
    (await h.request('GET', `/transactions?${query}`, { token })).body.items.map((i: any) => i.amount_minor);
  t.deepEqual(await get('category=travel'), [50000, 5000]);
  t.deepEqual(await get('min_amount=1000&max_amount=10000'), [5000]);
  t.deepEqual(await get('status=pending&category=dining'), [500]);
  t.deepEqual(
    await get(
      `since=${new Date(start + 30_000).toISOString()}&until=${new Date(start + 90_000).toISOString()}`,
    ),
    [5000],
  );
  t.deepEqual(await get('status=settled'), []);
});

test('list query: unknown parameter, bad limit, repeated parameter, bad cursor → 400 validation_failed', async (t) => {
  const token = await h.token();
  const cases: [string, string][] = [
    ['owner=bob', 'query.owner'],
    ['limit=101', 'query.limit'],
    ['limit=0', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['category=groceries&category=dining', 'query.category'],
    ['since=yesterday', 'query.since'],
    ['cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
  ];
  for (const [query, field] of cases) {
    const res = await h.request('GET', `/transactions?${query}`, { token });
    t.is(res.status, 400, query);
    t.is(res.body.code, 'validation_failed', query);
    t.true(
      res.body.errors.some((error: any) => error.field === field),
      `${query}: ${JSON.stringify(res.body.errors)}`,
    );
  }
});

test('create validation: missing, unknown and ill-typed fields are all listed', async (t) => {
  const res = await create(await h.token(), {
    amount_minor: 1.5,
    currency: 'EURO',
    category: 'weapons',
    extra: true,
  });
  t.is(res.status, 400);
  t.is(res.body.code, 'validation_failed');
  const fields = res.body.errors.map((error: any) => error.field).sort();
  t.deepEqual(fields, [
    'body.account_id',
    'body.amount_minor',
    'body.category',
    'body.counterparty',
    'body.currency',
    'body.extra',
  ]);
});

test('create: currency must be an ISO 4217 code', async (t) => {
  const res = await create(await h.token(), { ...NEW, currency: 'ABC' });
  t.is(res.status, 400);
  t.deepEqual(
    res.body.errors.map((e: any) => e.field),
    ['body.currency'],
  );
});

test('non-JSON body → 415 unsupported_media_type', async (t) => {
  const res = await h.request('POST', '/transactions', {
    token: await h.token(),
    rawBody: 'amount=1',
    headers: [['Content-Type', 'text/plain']],
  });
  t.is(res.status, 415);
  t.is(res.body.code, 'unsupported_media_type');
});

test('malformed JSON → 400 invalid_request', async (t) => {
  const res = await h.request('POST', '/transactions', {
    token: await h.token(),
    rawBody: '{"amount_minor": ',
    headers: [['Content-Type', 'application/json']],
  });
  t.is(res.status, 400);
  t.is(res.body.code, 'invalid_request');
});

test('body over 16 KiB → 413 payload_too_large', async (t) => {
  const res = await create(await h.token(), { ...NEW, note: 'x'.repeat(17 * 1024) });
  t.is(res.status, 413);
  t.is(res.body.code, 'payload_too_large');
});

test('approve/reject with a body → 400 validation_failed', async (t) => {
  const token = await h.token({ sub: 'nora' });
  const { body } = await create(token);
  const manager = await h.token({
    sub: 'mgr',
    roles: ['manager'],
    department: 'retail',
    scope: 'transactions:read transactions:approve',
  });
  const res = await h.request('POST', `/transactions/${body.id}/approve`, {
    token: manager,
    body: { status: 'settled' },
  });
  t.is(res.status, 400);
  t.is(res.body.code, 'validation_failed');
});

test('an unknown route → 404 not_found; a wrong method → 405 with Allow', async (t) => {
  const token = await h.token();
  const missing = await h.request('GET', '/ledgers', { token });
  t.is(missing.status, 404);
  t.is(missing.body.code, 'not_found');
  const wrong = await h.request('PUT', '/transactions', { token, body: {} });
  t.is(wrong.status, 405);
  t.is(wrong.body.code, 'method_not_allowed');
  t.regex(String(wrong.headers.allow), /GET/);
});

test('a leap second or an impossible date in a time filter → 400 validation_failed, not 500', async (t) => {
  const token = await h.token();
  const auditor = await h.token({ roles: ['auditor'], scope: 'transactions:read audit:read' });
  for (const [path, field, who] of [
    ['/transactions?since=2026-12-31T23:59:60Z', 'query.since', token],
    ['/transactions?until=2026-02-30T10:00:00Z', 'query.until', token],
    ['/audit?since=2026-12-31T23:59:60Z', 'query.since', auditor],
  ] as const) {
    const res = await h.request('GET', path, { token: who });
    t.is(res.status, 400, path);
    t.is(res.body.code, 'validation_failed');
    t.is(res.body.errors[0].field, field);
  }
});
