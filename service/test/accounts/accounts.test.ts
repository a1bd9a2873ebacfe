import test from 'ava';
import { Harness, sample } from '../support/harness.js';

// Accounts over HTTP against the compiled policy: who opens, lists, reads, freezes and unfreezes,
// and what a frozen account refuses. Every row gets accounts of its own.
const h = await Harness.start();
test.after.always(() => h.stop());

const CUSTOMER = 'accounts:read accounts:write transactions:read transactions:write';
const STAFF = 'accounts:read accounts:write transactions:read transactions:approve';
const customer = (sub: string, extra: Record<string, unknown> = {}) =>
  h.token({ sub, scope: CUSTOMER, ...extra });
const manager = (department: string, extra: Record<string, unknown> = {}) =>
  h.token({ sub: `mgr-${department}`, roles: ['manager'], department, scope: STAFF, ...extra });
const gateway = () =>
  h.token({ sub: 'payments-gateway', client_id: 'payments-gateway', scope: 'accounts:read accounts:write' });

const NEW_TRANSACTION = {
  amount_minor: 4200,
  currency: 'EUR',
  category: 'groceries',
  counterparty: { name: 'Shop', account: 'DE001' },
};

/** A problem body without its per-request id, to compare two answers. */
function withoutRequestId(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'request_id'));
}

async function open(token: string, body: object = { currency: 'EUR' }, headers: [string, string][] = []) {
  return h.request('POST', '/accounts', { token, body, headers });
}

test('a customer opens an account for themselves → 201 with Location, ETag, their department', async (t) => {
  const token = await customer('olga', { department: 'private' });
  const res = await open(token, { currency: 'CHF' });
  t.is(res.status, 201, res.text);
  t.is(res.headers.location, `/accounts/${res.body.id}`);
  t.is(res.headers.etag, '"1"');
  t.like(res.body, { owner: 'olga', department: 'private', currency: 'CHF', status: 'open', version: 1 });
  const read = await h.request('GET', res.headers.location as string, { token });
  t.is(read.status, 200);
  t.deepEqual(read.body, res.body);
  const [record] = await h.store.listAudit({ limit: 1, resource_id: res.body.id });
  t.like(record, { action: 'accounts:open', outcome: 'allowed', resource_type: 'account', sub: 'olga' });
});

test('a customer without a department claim opens at the default branch', async (t) => {
  const res = await open(await customer('oscar'));
  t.is(res.status, 201, res.text);
  t.is(res.body.department, 'retail');
});

test('a customer cannot open for someone else, nor at another branch → 403 forbidden', async (t) => {
  const token = await customer('olive', { department: 'retail' });
  const other = await open(token, { currency: 'EUR', owner: 'bob' });
  t.is(other.status, 403, other.text);
  t.is(other.body.code, 'forbidden');
  t.deepEqual(other.body.reasons, ['not_owner']);
  const branch = await open(token, { currency: 'EUR', department: 'private' });
  t.is(branch.status, 403, branch.text);
  t.is(branch.body.code, 'forbidden');
  t.deepEqual(branch.body.reasons, ['other_department']);
});

test('staff never open accounts → 403 action_not_permitted', async (t) => {
  const res = await open(await manager('retail'));
  t.is(res.status, 403, res.text);
  t.is(res.body.code, 'forbidden');
  t.deepEqual(res.body.reasons, ['action_not_permitted']);
});

test('a service client listed in data opens an account for any holder', async (t) => {
  const res = await open(await gateway(), { currency: 'GBP', owner: 'pia', department: 'private' });
  t.is(res.status, 201, res.text);
  t.like(res.body, { owner: 'pia', department: 'private', currency: 'GBP' });
});

test('an unlisted service client may not open accounts → 403', async (t) => {
  const token = await h.token({ sub: 'mystery', client_id: 'mystery', scope: 'accounts:write' });
  const res = await open(token, { currency: 'EUR', owner: 'pia' });
  t.is(res.status, 403, res.text);
  t.is(res.body.code, 'forbidden');
});

test('opening without accounts:write → 403 insufficient_scope naming it', async (t) => {
  const res = await open(await h.token({ sub: 'sid', scope: 'accounts:read' }));
  t.is(res.status, 403, res.text);
  t.is(res.body.code, 'insufficient_scope');
  t.regex(String(res.headers['www-authenticate']), /error="insufficient_scope",.* scope="accounts:write"/);
});

test('a bad open body → 400 validation_failed naming the field', async (t) => {
  const res = await open(await customer('val'), { currency: 'XXXX', colour: 'red' });
  t.is(res.status, 400, res.text);
  t.is(res.body.code, 'validation_failed');
  const fields = (res.body.errors as { field: string }[]).map((error) => error.field);
  t.true(fields.includes('body.currency'));
  t.true(fields.includes('body.colour'));
  const control = await open(await customer('val'), { currency: 'EUR', owner: 'val\u0000' });
  t.is(control.status, 400, 'a control character in the holder (PostgreSQL text holds no NUL)');
  t.deepEqual(
    (control.body.errors as { field: string }[]).map((error) => error.field),
    ['body.owner'],
  );
});

test('an idempotent open replays the first response with its ETag', async (t) => {
  const token = await customer('ida');
  const first = await open(token, { currency: 'EUR' }, [['Idempotency-Key', 'open-ida-1']]);
  const again = await open(token, { currency: 'EUR' }, [['Idempotency-Key', 'open-ida-1']]);
  t.is(first.status, 201);
  t.is(again.status, 201);
  t.is(again.headers['idempotent-replayed'], 'true');
  t.is(again.headers.etag, first.headers.etag);
  t.deepEqual(again.body, first.body);
  const other = await open(token, { currency: 'USD' }, [['Idempotency-Key', 'open-ida-1']]);
  t.is(other.status, 409);
  t.is(other.body.code, 'idempotency_conflict');
});

test('lists: a customer sees their own accounts, a manager their department, an auditor all', async (t) => {
  await h.account('lena', 'retail');
  await h.account('lars', 'private');
  const ids = async (token: string) => {
    const res = await h.request('GET', '/accounts?limit=100', { token });
    t.is(res.status, 200, res.text);
    return (res.body.items as { id: string }[]).map((item) => item.id);
  };
  t.deepEqual(await ids(await customer('lena')), ['acct-lena-retail']);
  const retail = await ids(await manager('retail'));
  t.true(retail.includes('acct-lena-retail'));
  t.false(retail.includes('acct-lars-private'));
  const auditor = await ids(await h.token({ sub: 'aud', roles: ['auditor'], scope: 'accounts:read' }));
  t.true(auditor.includes('acct-lena-retail') && auditor.includes('acct-lars-private'));
});

test('lists page with a cursor and filter by status', async (t) => {
  const token = await customer('pagey');
  for (let i = 0; i < 3; i += 1) t.is((await open(token)).status, 201);
  const first = await h.request('GET', '/accounts?limit=2', { token });
  t.is(first.body.items.length, 2);
  t.is(typeof first.body.next_cursor, 'string');
  const second = await h.request('GET', `/accounts?limit=2&cursor=${first.body.next_cursor as string}`, {
    token,
  });
  t.is(second.body.items.length, 1);
  t.is(second.body.next_cursor, null);
  const frozen = await h.request('GET', '/accounts?status=frozen', { token });
  t.is(frozen.status, 200);
  t.deepEqual(frozen.body.items, []);
});

test("another customer's account and an unknown one answer alike → 404 not_found", async (t) => {
  const id = await h.account('rita', 'retail');
  const token = await customer('rolf');
  const hidden = await h.request('GET', `/accounts/${id}`, { token });
  const missing = await h.request('GET', '/accounts/acct-nobody-at-all', { token });
  for (const res of [hidden, missing]) {
    t.is(res.status, 404, res.text);
    t.is(res.body.code, 'not_found');
  }
  t.deepEqual(withoutRequestId(hidden.body), withoutRequestId(missing.body));
});

test('freeze: the manager of the account department with step-up → 200 frozen; unfreeze → open', async (t) => {
  const id = await h.account('fay', 'retail');
  const token = await manager('retail', h.steppedUp);
  const frozen = await h.request('POST', `/accounts/${id}/freeze`, { token });
  t.is(frozen.status, 200, frozen.text);
  t.like(frozen.body, { status: 'frozen', version: 2 });
  t.is(frozen.headers.etag, '"2"');
  const again = await h.request('POST', `/accounts/${id}/freeze`, { token });
  t.is(again.status, 403);
  t.deepEqual(again.body.reasons, ['account_not_open']);
  const open = await h.request('POST', `/accounts/${id}/unfreeze`, { token, headers: [['If-Match', '"2"']] });
  t.is(open.status, 200, open.text);
  t.like(open.body, { status: 'open', version: 3 });
  const twice = await h.request('POST', `/accounts/${id}/unfreeze`, { token });
  t.is(twice.status, 403);
  t.deepEqual(twice.body.reasons, ['account_not_frozen']);
  const trail = await h.store.listAudit({ limit: 10, resource_id: id });
  t.deepEqual(
    trail.filter((record) => record.outcome === 'allowed').map((record) => record.action),
    ['accounts:unfreeze', 'accounts:freeze', 'accounts:open'],
  );
});

test('freeze without a recent strong authentication → 401 step-up challenge', async (t) => {
  const id = await h.account('gus', 'retail');
  const res = await h.request('POST', `/accounts/${id}/freeze`, { token: await manager('retail') });
  t.is(res.status, 401, res.text);
  t.is(res.body.code, 'insufficient_user_authentication');
  t.regex(String(res.headers['www-authenticate']), /error="insufficient_user_authentication"/);
  t.is((await h.store.getAccount(id))?.status, 'open');
});

test("freeze by another department's manager → 404; by the holder → 403; stale If-Match → 412", async (t) => {
  const id = await h.account('hal', 'retail');
  const other = await h.request('POST', `/accounts/${id}/freeze`, {
    token: await manager('private', h.steppedUp),
  });
  t.is(other.status, 404, other.text);
  t.is(other.body.code, 'not_found');
  const holder = await h.request('POST', `/accounts/${id}/freeze`, {
    token: await customer('hal', h.steppedUp),
  });
  t.is(holder.status, 403, holder.text);
  t.is(holder.body.code, 'forbidden');
  t.deepEqual(holder.body.reasons, ['action_not_permitted']);
  const stale = await h.request('POST', `/accounts/${id}/freeze`, {
    token: await manager('retail', h.steppedUp),
    headers: [['If-Match', '"9"']],
  });
  t.is(stale.status, 412, stale.text);
  t.is(stale.body.code, 'precondition_failed');
  const body = await h.request('POST', `/accounts/${id}/freeze`, {
    token: await manager('retail', h.steppedUp),
    body: { status: 'open' },
  });
  t.is(body.status, 400);
  t.is(body.body.code, 'validation_failed');
});

test('a frozen account takes no new transaction and no approval; reads and rejects go on', async (t) => {
  const id = await h.account('ivy', 'retail');
  const holder = await customer('ivy');
  const created = await h.request('POST', '/transactions', {
    token: holder,
    body: { ...NEW_TRANSACTION, account_id: id },
  });
  t.is(created.status, 201, created.text);
  const second = await h.request('POST', '/transactions', {
    token: holder,
    body: { ...NEW_TRANSACTION, account_id: id },
  });
  t.is(second.status, 201, second.text);
  const mgr = await manager('retail', h.steppedUp);
  t.is((await h.request('POST', `/accounts/${id}/freeze`, { token: mgr })).status, 200);

  const refused = await h.request('POST', '/transactions', {
    token: holder,
    body: { ...NEW_TRANSACTION, account_id: id },
  });
  t.is(refused.status, 403, refused.text);
  t.is(refused.body.code, 'forbidden');
  t.deepEqual(refused.body.reasons, ['account_not_open']);
  const approval = await h.request('POST', `/transactions/${created.body.id as string}/approve`, {
    token: mgr,
  });
  t.is(approval.status, 403, approval.text);
  t.deepEqual(approval.body.reasons, ['account_not_open']);
  const read = await h.request('GET', `/transactions/${created.body.id as string}`, { token: holder });
  t.is(read.status, 200);
  const rejected = await h.request('POST', `/transactions/${second.body.id as string}/reject`, {
    token: mgr,
  });
  t.is(rejected.status, 200, rejected.text);
  t.is(rejected.body.status, 'rejected');
  const page = await h.store.list({ limit: 100, account_id: id }, [{}]);
  t.is(page.items.length, 2);
});

test('BOLA: creating on another customer’s account answers exactly as an unknown account, and stores nothing', async (t) => {
  const bobs = await h.account('bobby', 'retail');
  const token = await customer('alicia');
  const foreign = await h.request('POST', '/transactions', {
    token,
    body: { ...NEW_TRANSACTION, account_id: bobs },
  });
  const unknown = await h.request('POST', '/transactions', {
    token,
    body: { ...NEW_TRANSACTION, account_id: 'acct-does-not-exist' },
  });
  for (const res of [foreign, unknown]) {
    t.is(res.status, 404, res.text);
    t.is(res.body.code, 'not_found');
    t.is(res.headers['content-type'], 'application/problem+json');
  }
  t.deepEqual(withoutRequestId(foreign.body), withoutRequestId(unknown.body));
  t.is((await h.store.list({ limit: 100 }, [{ owner: 'alicia' }, { owner: 'bobby' }])).items.length, 0);
});

test("a service client's transaction takes the account's holder and branch, not the creator's", async (t) => {
  const id = await h.account('cleo', 'private');
  const token = await h.token({
    sub: 'payments-gateway',
    client_id: 'payments-gateway',
    department: 'online',
    scope: 'transactions:read transactions:write',
  });
  const res = await h.request('POST', '/transactions', {
    token,
    body: { ...NEW_TRANSACTION, account_id: id },
  });
  t.is(res.status, 201, res.text);
  t.like(res.body, { owner: 'cleo', department: 'private', account_id: id });
  // The holder's own branch manager sees and approves it; another branch's manager cannot even see it.
  const own = await h.request('POST', `/transactions/${res.body.id as string}/approve`, {
    token: await h.token({ sub: 'mgr-zurich', roles: ['manager'], department: 'private', scope: STAFF }),
  });
  t.is(own.status, 200, own.text);
  t.is(own.body.status, 'approved');
  const foreign = await h.request('POST', `/transactions/${res.body.id as string}/approve`, {
    token: await manager('online'),
  });
  t.is(foreign.status, 404, foreign.text);
  t.is(foreign.body.code, 'not_found');
});

test('GET /transactions?account_id= lists only that account', async (t) => {
  const first = await h.account('acco', 'retail');
  const second = await h.account('acco', 'private');
  const token = await customer('acco');
  for (const account_id of [first, second, first]) {
    t.is(
      (await h.request('POST', '/transactions', { token, body: { ...NEW_TRANSACTION, account_id } })).status,
      201,
    );
  }
  const res = await h.request('GET', `/transactions?account_id=${first}`, { token });
  t.is(res.status, 200, res.text);
  t.is(res.body.items.length, 2);
  t.true((res.body.items as { account_id: string }[]).every((item) => item.account_id === first));
  const bad = await h.request('GET', '/transactions?account_id=no%20spaces', { token });
  t.is(bad.status, 400);
  t.is(bad.body.code, 'validation_failed');
});

test('account decisions are counted by action and outcome', async (t) => {
  await open(await customer('counted'));
  const metrics = await h.metrics.registry.metrics();
  t.true(
    (sample(metrics, 'verdict_decisions_total', { action: 'accounts:open', outcome: 'allow' }) ?? 0) >= 1,
  );
});
