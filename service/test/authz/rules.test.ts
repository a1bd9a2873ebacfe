import test from 'ava';
import { CUSTOMER_SCOPES, Harness, NEW_TRANSACTION } from '../support/harness.js';

// Authorization behaviour over HTTP through the Authorizer the app is built with. These cases are
// the ones every implementation of the rules must keep (see policies/README.md).
const h = await Harness.start();
test.after.always(() => h.stop());

const BODY = NEW_TRANSACTION;
const ALL = CUSTOMER_SCOPES;

async function createAs(sub: string, department = 'retail') {
  const res = await h.request('POST', '/transactions', {
    token: await h.token({ sub, department, scope: ALL }),
    body: { ...BODY, account_id: await h.account(sub, department) },
  });
  if (res.status !== 201) throw new Error(`setup create failed: ${res.status} ${res.text}`);
  return res.body as { id: string };
}

test('BOLA: a customer walking another customer’s id gets 404 on every verb', async (t) => {
  const { id } = await createAs('victim');
  const attacker = await h.token({ sub: 'attacker', scope: ALL });
  const probes = [
    await h.request('GET', `/transactions/${id}`, { token: attacker }),
    await h.request('PATCH', `/transactions/${id}`, {
      token: attacker,
      body: { note: 'x' },
      headers: [['If-Match', '"1"']],
    }),
    await h.request('DELETE', `/transactions/${id}`, { token: attacker }),
  ];
  for (const res of probes) {
    t.is(res.status, 404);
    t.is(res.body.code, 'not_found');
  }
  const victim = await h.request('GET', `/transactions/${id}`, {
    token: await h.token({ sub: 'victim', scope: ALL }),
  });
  t.is(victim.body.version, 1, 'nothing changed');
});

test('BOLA: lists never include another customer’s rows', async (t) => {
  await createAs('list-victim');
  const res = await h.request('GET', '/transactions?limit=100', {
    token: await h.token({ sub: 'list-attacker', scope: ALL }),
  });
  t.is(res.status, 200);
  t.deepEqual(res.body.items, []);
});

test("a customer cannot create a transaction on someone else's account → 404 not_found", async (t) => {
  const res = await h.request('POST', '/transactions', {
    token: await h.token({ sub: 'mallory', scope: ALL }),
    body: BODY,
  });
  t.is(res.status, 404, res.text);
  t.is(res.body.code, 'not_found');
});

test('missing scope → 403 insufficient_scope naming the scope', async (t) => {
  const { id } = await createAs('scoped');
  const cases: [string, string, string, object | undefined][] = [
    ['GET', `/transactions/${id}`, 'transactions:read', undefined],
    ['GET', '/transactions', 'transactions:read', undefined],
    ['POST', '/transactions', 'transactions:write', { ...BODY, account_id: await h.account('scoped') }],
    ['DELETE', `/transactions/${id}`, 'transactions:delete', undefined],
  ];
  for (const [method, path, scope, body] of cases) {
    const token = await h.token({
      sub: 'scoped',
      scope: ALL.split(' ')
        .filter((s) => s !== scope)
        .join(' '),
    });
    const res = await h.request(method, path, { token, body });
    t.is(res.status, 403, `${method} ${path}`);
    t.is(res.body.code, 'insufficient_scope');
    t.is(res.body.scope, scope);
    t.regex(String(res.headers['www-authenticate']), new RegExp(`scope="${scope}"`));
  }
});

test('a customer may delete an own pending transaction, not an approved one', async (t) => {
  const pending = await createAs('deleter');
  const token = await h.token({ sub: 'deleter', scope: ALL, ...h.steppedUp });
  t.is((await h.request('DELETE', `/transactions/${pending.id}`, { token })).status, 204);
  const other = await createAs('deleter');
  const manager = await h.token({
    sub: 'boss',
    roles: ['manager'],
    department: 'retail',
    scope: 'transactions:read transactions:approve',
  });
  t.is((await h.request('POST', `/transactions/${other.id}/approve`, { token: manager })).status, 200);
  const res = await h.request('DELETE', `/transactions/${other.id}`, { token });
  t.is(res.status, 403);
  t.is(res.body.code, 'forbidden');
});

test('customers cannot approve; managers approve others’ pending transactions, never their own', async (t) => {
  const { id } = await createAs('payer');
  const customer = await h.token({ sub: 'payer', scope: `${ALL} transactions:approve` });
  const self = await h.request('POST', `/transactions/${id}/approve`, { token: customer });
  t.is(self.status, 403);
  t.is(self.body.code, 'forbidden');

  const manager = await h.token({
    sub: 'boss',
    roles: ['manager'],
    department: 'retail',
    scope: 'transactions:read transactions:approve',
  });
  const approved = await h.request('POST', `/transactions/${id}/approve`, { token: manager });
  t.is(approved.status, 200, approved.text);
  t.like(approved.body, { status: 'approved', version: 2 });
  const again = await h.request('POST', `/transactions/${id}/reject`, { token: manager });
  t.is(again.status, 403, 'a decided transaction cannot be decided again');
  t.is(again.body.code, 'forbidden');

  const own = await h.request('POST', '/transactions', {
    token: await h.token({ sub: 'boss', roles: [], department: 'retail', scope: ALL }),
    body: { ...BODY, account_id: await h.account('boss') },
  });
  const sod = await h.request('POST', `/transactions/${own.body.id}/reject`, { token: manager });
  t.is(sod.status, 403);
  t.is(sod.body.code, 'forbidden');
});

test('staff read within policy but do not create', async (t) => {
  const support = await h.token({ sub: 'helpdesk', roles: ['support'], department: 'retail', scope: ALL });
  const res = await h.request('POST', '/transactions', { token: support, body: BODY });
  t.is(res.status, 403);
  t.is(res.body.code, 'forbidden');
});
