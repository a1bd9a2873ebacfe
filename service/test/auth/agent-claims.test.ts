import test from 'ava';
import { randomUUID } from 'node:crypto';
import type { Authorizer, PolicyClaims } from '../../src/authz/decision.js';
import { CUSTOMER_SCOPES, Harness } from '../support/harness.js';

/** The claims each decision was asked with, by `sub` (unique per test): what reached the policy. */
const seen = new Map<string, PolicyClaims>();

function record(claims: PolicyClaims): void {
  seen.set(claims.sub, claims);
}

const ALLOW = { allow: true, visible: true, reasons: [], redact: [] };

/** Records the subject's claims and allows everything; a list has no rows. */
const recording: Authorizer = {
  ready: () => true,
  decide: (input) => {
    record(input.subject.claims);
    return Promise.resolve({ decision: ALLOW, decisionId: 'd-1', revision: 'r-1' });
  },
  decideBatch: (input) => {
    record(input.subject.claims);
    return Promise.resolve({
      decisions: input.resources.map(() => ALLOW),
      decisionId: 'd-2',
      revision: 'r-1',
    });
  },
  listFilter: (input) => {
    record(input.subject.claims);
    return Promise.resolve({ anyOf: [], decisionId: 'd-3', revision: 'r-1' });
  },
};

const h = await Harness.start({ authorizer: recording });
test.after.always(() => h.stop());

const AGENT = { agent: { id: 'budget-bot', client_type: 'confidential' } };

/** Agent claims in both forms the AI-agent guidance shows: integers, and strings as in its example. */
const ACCEPTED: readonly [claim: string, value: unknown][] = [
  ['transaction_not_older_than', 0],
  ['transaction_not_older_than', 30],
  ['transaction_not_older_than', Number.MAX_SAFE_INTEGER],
  ['transaction_not_older_than', '2025-10-01'],
  ['transaction_not_older_than', '2024-02-29'],
  ['transaction_not_older_than', '2000-02-29'],
  ['transaction_not_older_than', '2025-12-31'],
  ['transaction_amount_limit', 0],
  ['transaction_amount_limit', 1000],
  ['transaction_amount_limit', '1000'],
  ['transaction_amount_limit', '0'],
  ['transaction_amount_limit', '007'],
  ['transaction_amount_limit', '999999999999999'],
  ['excluded_categories', []],
  ['excluded_categories', ['health', 'gambling']],
];

const REFUSED: readonly [claim: string, value: unknown][] = [
  ['transaction_not_older_than', -1],
  ['transaction_not_older_than', 1.5],
  ['transaction_not_older_than', 2 ** 53],
  ['transaction_not_older_than', '30'],
  ['transaction_not_older_than', '2025-02-30'],
  ['transaction_not_older_than', '2023-02-29'],
  ['transaction_not_older_than', '1900-02-29'],
  ['transaction_not_older_than', '2025-04-31'],
  ['transaction_not_older_than', '2025-13-01'],
  ['transaction_not_older_than', '2025-00-10'],
  ['transaction_not_older_than', '2025-10-00'],
  ['transaction_not_older_than', '2025-10-1'],
  ['transaction_not_older_than', '2025-10-01T00:00:00Z'],
  ['transaction_not_older_than', ' 2025-10-01'],
  ['transaction_not_older_than', '２０２５-10-01'],
  ['transaction_not_older_than', ''],
  ['transaction_not_older_than', true],
  ['transaction_not_older_than', null],
  ['transaction_not_older_than', [30]],
  ['transaction_amount_limit', -1],
  ['transaction_amount_limit', 10.5],
  ['transaction_amount_limit', 2 ** 53],
  ['transaction_amount_limit', '-1'],
  ['transaction_amount_limit', '+1'],
  ['transaction_amount_limit', '1 000'],
  ['transaction_amount_limit', ' 1000'],
  ['transaction_amount_limit', '10.5'],
  ['transaction_amount_limit', '1e3'],
  ['transaction_amount_limit', '0x10'],
  ['transaction_amount_limit', ''],
  ['transaction_amount_limit', '1000000000000000'],
  ['transaction_amount_limit', '１０００'],
  ['transaction_amount_limit', { minor: 1000 }],
  ['transaction_amount_limit', null],
  ['excluded_categories', 'health'],
  ['excluded_categories', [1]],
  ['excluded_categories', ['health', null]],
  ['excluded_categories', { health: true }],
];

for (const [claim, value] of ACCEPTED) {
  test(`agent claim ${claim} = ${JSON.stringify(value)} is accepted and reaches the policy unchanged`, async (t) => {
    const sub = randomUUID();
    const res = await h.request('GET', '/transactions', {
      token: await h.token({ ...AGENT, sub, [claim]: value }),
    });
    t.is(res.status, 200, res.text);
    t.deepEqual((seen.get(sub) as unknown as Record<string, unknown> | undefined)?.[claim], value);
  });
}

for (const [claim, value] of REFUSED) {
  test(`agent claim ${claim} = ${JSON.stringify(value)} → 401 invalid_token`, async (t) => {
    const sub = randomUUID();
    const res = await h.request('GET', '/transactions', {
      token: await h.token({ ...AGENT, sub, [claim]: value }),
    });
    t.is(res.status, 401, res.text);
    t.is(res.body.code, 'invalid_token');
    t.regex(res.body.detail, new RegExp(claim));
    t.false(seen.has(sub), 'the policy is never asked');
  });
}

test('the policy sees the claims it reads, without the registered claims only the verifier checks', async (t) => {
  const sub = randomUUID();
  const read = {
    ...AGENT,
    sub,
    roles: [],
    department: 'retail',
    acr: 'urn:verdict:acr:mfa',
    auth_time: h.nowS - 60,
    transaction_not_older_than: 30,
    transaction_amount_limit: 1000,
    excluded_categories: ['gambling'],
  };
  const res = await h.request('GET', '/transactions', {
    token: await h.token({ ...read, unknown_claim: 'x' }),
  });
  t.is(res.status, 200, res.text);
  t.deepEqual(seen.get(sub), { ...read, client_id: 'web-app', scope: CUSTOMER_SCOPES });
});
