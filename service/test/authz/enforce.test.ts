import test from 'ava';
import type { Authorizer, Decision } from '../../src/authz/decision.js';
import { AuthorizationUnavailableError, PolicyNoDecisionError } from '../../src/errors.js';
import { Harness, setupAuditEntry } from '../support/harness.js';

/** An authorizer that answers every single decision with `decision` (lists: own rows, batch: allow). */
function fixed(decision: Decision | (() => never)): Authorizer {
  const answer = () => (typeof decision === 'function' ? decision() : decision);
  return {
    ready: () => true,
    decide: () => Promise.resolve().then(() => ({ decision: answer(), decisionId: 'd-1', revision: 'r-1' })),
    decideBatch: (input) =>
      Promise.resolve({ decisions: input.resources.map(() => answer()), decisionId: 'd-2', revision: 'r-1' }),
    listFilter: () => Promise.resolve({ anyOf: [{}], decisionId: 'd-3', revision: 'r-1' }),
  };
}

const deny = (overrides: Partial<Decision>): Decision => ({
  allow: false,
  visible: true,
  reasons: [],
  redact: [],
  ...overrides,
});
const BODY = {
  account_id: 'acct-alice-retail',
  amount_minor: 5,
  currency: 'EUR',
  category: 'other',
  counterparty: { name: 'X', account: 'Y1' },
  note: 'private',
};

async function harnessWith(authorizer: Authorizer, t: any): Promise<Harness> {
  const h = await Harness.start({ authorizer });
  t.teardown(() => h.stop());
  return h;
}

test('allow with redact → the named fields are null in the response', async (t) => {
  const h = await harnessWith(
    fixed({ allow: true, visible: true, reasons: [], redact: ['counterparty.account', 'note'] }),
    t,
  );
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 201);
  t.is(res.body.counterparty.account, null);
  t.is(res.body.note, null);
  t.is(res.body.counterparty.name, 'X');
});

test('not allowed and not visible → 404 not_found, even with other reasons', async (t) => {
  const h = await harnessWith(
    fixed(
      deny({
        visible: false,
        reasons: [{ code: 'insufficient_scope', message: 'm', scope: 'transactions:read' }],
      }),
    ),
    t,
  );
  const existing = await h.store.create(
    {
      id: '7d4c5b6a-1111-4222-8333-944455556666',
      owner: 'bob',
      account_id: 'acct-alice-retail',
      amount_minor: 10,
      currency: 'EUR',
      category: 'other',
      counterparty: { name: 'Z', account: 'Z1' },
      note: null,
      status: 'pending',
      department: 'retail',
      created_at: '2026-11-20T09:30:00.000Z',
      updated_at: '2026-11-20T09:30:00.000Z',
      version: 1,
    },
    setupAuditEntry('7d4c5b6a-1111-4222-8333-944455556666'),
  );
  t.is(existing.kind, 'created');
  const read = await h.request('GET', '/transactions/7d4c5b6a-1111-4222-8333-944455556666', {
    token: await h.token(),
  });
  t.is(read.status, 404);
  t.is(read.body.code, 'not_found');
  const hidden = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(hidden.status, 404);
  t.is(hidden.body.code, 'not_found');
});

test('only step-up reasons → 401 insufficient_user_authentication with an RFC 9470 challenge', async (t) => {
  const h = await harnessWith(
    fixed(
      deny({
        reasons: [{ code: 'step_up_required', message: 'mfa' }],
        step_up: { acr_values: 'urn:verdict:acr:mfa', max_age: 300 },
      }),
    ),
    t,
  );
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 401);
  t.is(res.body.code, 'insufficient_user_authentication');
  t.is(
    res.headers['www-authenticate'],
    'Bearer realm="verdict", error="insufficient_user_authentication", error_description="this action needs a stronger or more recent user authentication", acr_values="urn:verdict:acr:mfa", max_age=300',
  );
  t.is(res.body.acr_values, 'urn:verdict:acr:mfa');
});

test('step-up plus another reason → 403, not a step-up challenge', async (t) => {
  const h = await harnessWith(
    fixed(
      deny({
        reasons: [
          { code: 'step_up_required', message: 'mfa' },
          { code: 'amount_over_limit', message: 'too much' },
        ],
        step_up: { acr_values: 'urn:verdict:acr:mfa', max_age: 300 },
      }),
    ),
    t,
  );
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 403);
  t.is(res.body.code, 'forbidden');
  t.deepEqual(res.body.reasons, ['step_up_required', 'amount_over_limit']);
});

test('insufficient_scope reason → 403 with a Bearer insufficient_scope challenge naming the scope', async (t) => {
  const h = await harnessWith(
    fixed(deny({ reasons: [{ code: 'insufficient_scope', message: 'm', scope: 'transactions:write' }] })),
    t,
  );
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 403);
  t.is(res.body.code, 'insufficient_scope');
  t.regex(
    String(res.headers['www-authenticate']),
    /^Bearer realm="verdict", error="insufficient_scope", .*scope="transactions:write"$/,
  );
});

test('other reasons → 403 forbidden listing the reason codes', async (t) => {
  const h = await harnessWith(fixed(deny({ reasons: [{ code: 'not_owner', message: 'm' }] })), t);
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 403);
  t.is(res.body.code, 'forbidden');
  t.deepEqual(res.body.reasons, ['not_owner']);
});

test('no usable decision → 403 policy_no_decision, never an allow', async (t) => {
  const h = await harnessWith(
    fixed(() => {
      throw new PolicyNoDecisionError();
    }),
    t,
  );
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 403);
  t.is(res.body.code, 'policy_no_decision');
  t.is((await h.request('GET', '/transactions', { token: await h.token() })).body.code, 'policy_no_decision');
});

test('PDP unavailable → 503 authorization_unavailable and nothing is written', async (t) => {
  const h = await harnessWith(
    fixed(() => {
      throw new AuthorizationUnavailableError();
    }),
    t,
  );
  const res = await h.request('POST', '/transactions', { token: await h.token(), body: BODY });
  t.is(res.status, 503);
  t.is(res.body.code, 'authorization_unavailable');
  t.deepEqual((await h.store.list({ limit: 10 }, [{}])).items, []);
});

test('list: rows the batch decision denies are left out; redactions apply per row', async (t) => {
  const authorizer: Authorizer = {
    ready: () => true,
    decide: () =>
      Promise.resolve({
        decision: { allow: true, visible: true, reasons: [], redact: [] },
        decisionId: 'd-1',
        revision: 'r-1',
      }),
    decideBatch: (input) =>
      Promise.resolve({
        decisions: input.resources.map((resource) =>
          resource.amount_minor === 2
            ? deny({ visible: false, reasons: [{ code: 'agent_limit', message: 'm' }] })
            : { allow: true, visible: true, reasons: [], redact: ['note'] },
        ),
        decisionId: 'd-2',
        revision: 'r-1',
      }),
    listFilter: () => Promise.resolve({ anyOf: [{}], decisionId: 'd-3', revision: 'r-1' }),
  };
  const h = await harnessWith(authorizer, t);
  const token = await h.token();
  for (const amount of [1, 2, 3])
    await h.request('POST', '/transactions', { token, body: { ...BODY, amount_minor: amount } });
  const res = await h.request('GET', '/transactions', { token });
  t.is(res.status, 200);
  t.deepEqual(res.body.items.map((item: any) => item.amount_minor).sort(), [1, 3]);
  t.true(res.body.items.every((item: any) => item.note === null));
});
