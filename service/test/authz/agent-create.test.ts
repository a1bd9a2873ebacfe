import test from 'ava';
import { Harness } from '../support/harness.js';

// An AI agent's limits bind what it creates, not only what it reads: a limited agent could create a
// 900,000 gambling transaction (after step-up) and get the whole body back.
const h = await Harness.start();
test.after.always(() => h.stop());

const BODY = {
  currency: 'EUR',
  counterparty: { name: 'Lucky Casino', account: 'MT0099' },
};

const agentToken = (sub: string, client_type: 'confidential' | 'public', limits: Record<string, unknown>) =>
  h.token({
    sub,
    client_id: 'assistant',
    scope: 'transactions:read transactions:write',
    agent: { id: 'agent-7', client_type },
    ...h.steppedUp,
    ...limits,
  });

const LIMITS = [
  { form: 'integer', limits: { transaction_amount_limit: 100000, excluded_categories: ['gambling'] } },
  {
    form: 'string of digits',
    limits: { transaction_amount_limit: '100000', excluded_categories: ['gambling'] },
  },
];

for (const client_type of ['confidential', 'public'] as const) {
  for (const { form, limits } of LIMITS) {
    test(`a ${client_type} agent (limit as ${form}) cannot create above its amount limit or in an excluded category → 403`, async (t) => {
      const sub = `agent-user-${client_type}-${form.length}`;
      const account_id = await h.account(sub);
      const token = await agentToken(sub, client_type, limits);
      const before = (await h.store.list({ limit: 100, account_id }, [{}])).items.length;
      const big = await h.request('POST', '/transactions', {
        token,
        body: { ...BODY, account_id, amount_minor: 900000, category: 'gambling' },
      });
      t.is(big.status, 403, big.text);
      t.is(big.body.code, 'forbidden');
      t.true(big.body.reasons.includes('agent_amount_limit'), big.text);
      t.true(big.body.reasons.includes('agent_category_excluded'), big.text);
      t.is(big.body.id, undefined);
      const category = await h.request('POST', '/transactions', {
        token,
        body: { ...BODY, account_id, amount_minor: 500, category: 'gambling' },
      });
      t.is(category.status, 403, category.text);
      t.deepEqual(category.body.reasons, ['agent_category_excluded']);
      const amount = await h.request('POST', '/transactions', {
        token,
        body: { ...BODY, account_id, amount_minor: 100001, category: 'groceries' },
      });
      t.is(amount.status, 403, amount.text);
      t.true(amount.body.reasons.includes('agent_amount_limit'), amount.text);
      t.is((await h.store.list({ limit: 100, account_id }, [{}])).items.length, before);

      const within = await h.request('POST', '/transactions', {
        token,
        body: { ...BODY, account_id, amount_minor: 1000, category: 'groceries' },
      });
      t.is(within.status, 201, within.text);
    });
  }
}

test('an agent within its limits still needs step-up to create → 401 challenge', async (t) => {
  const account_id = await h.account('agent-user-stepup');
  const token = await h.token({
    sub: 'agent-user-stepup',
    client_id: 'assistant',
    scope: 'transactions:read transactions:write',
    agent: { id: 'agent-8', client_type: 'confidential' },
    transaction_amount_limit: 100000,
  });
  const res = await h.request('POST', '/transactions', {
    token,
    body: { ...BODY, account_id, amount_minor: 1000, category: 'groceries' },
  });
  t.is(res.status, 401, res.text);
  t.is(res.body.code, 'insufficient_user_authentication');
});

test('an agent whose age limit is an RFC 3339 date reads only transactions from that day on', async (t) => {
  const account_id = await h.account('agent-user-dated');
  const owner = await h.token({ sub: 'agent-user-dated', scope: 'transactions:read transactions:write' });
  const created = await h.request('POST', '/transactions', {
    token: owner,
    body: { ...BODY, account_id, amount_minor: 1000, category: 'groceries' },
  });
  t.is(created.status, 201, created.text);
  const read = (cutoff: string) =>
    h
      .token({
        sub: 'agent-user-dated',
        client_id: 'assistant',
        scope: 'transactions:read',
        agent: { id: 'agent-9', client_type: 'confidential' },
        transaction_not_older_than: cutoff,
      })
      .then((token) => h.request('GET', `/transactions/${created.body.id as string}`, { token }));
  const allowed = await read('2026-11-23');
  t.is(allowed.status, 200, allowed.text);
  const hidden = await read('2026-11-24');
  t.is(hidden.status, 404, hidden.text);
  t.is(hidden.body.code, 'not_found');
});
