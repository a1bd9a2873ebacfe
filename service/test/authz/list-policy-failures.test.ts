import test from 'ava';
import type { Authorizer } from '../../src/authz/decision.js';
import { AuthorizationUnavailableError, PolicyNoDecisionError } from '../../src/errors.js';
import { Harness, sample } from '../support/harness.js';

const ALLOW = { allow: true, visible: true, reasons: [], redact: [] };

/** Allows every single decision; the list calls fail as `fail` says. */
function failing(fail: 'list_filter' | 'batch', error: () => Error): Authorizer {
  return {
    ready: () => true,
    decide: () => Promise.resolve({ decision: ALLOW, decisionId: 'd-1', revision: 'r-1' }),
    decideBatch: (input) =>
      fail === 'batch'
        ? Promise.reject(error())
        : Promise.resolve({
            decisions: input.resources.map(() => ALLOW),
            decisionId: 'd-2',
            revision: 'r-1',
          }),
    listFilter: () =>
      fail === 'list_filter'
        ? Promise.reject(error())
        : Promise.resolve({ anyOf: [{}], decisionId: 'd-3', revision: 'r-1' }),
  };
}

const CASES = [
  {
    call: 'list_filter',
    error: () => new AuthorizationUnavailableError('pdp down'),
    status: 503,
    outcome: 'error',
  },
  {
    call: 'batch',
    error: () => new AuthorizationUnavailableError('pdp down'),
    status: 503,
    outcome: 'error',
  },
  { call: 'list_filter', error: () => new PolicyNoDecisionError('undefined'), status: 403, outcome: 'deny' },
  { call: 'batch', error: () => new PolicyNoDecisionError('malformed'), status: 403, outcome: 'deny' },
] as const;

for (const { call, error, status, outcome } of CASES) {
  for (const path of ['/transactions', '/accounts']) {
    test(`${path}: a failing ${call} (${status}) is audited and counted like any decision`, async (t) => {
      const h = await Harness.start({ authorizer: failing(call, error) });
      t.teardown(() => h.stop());
      await h.account('lister');
      const action = path === '/transactions' ? 'transactions:list' : 'accounts:list';
      const token = await h.token({ sub: 'lister', scope: 'transactions:read accounts:read' });
      const res = await h.request('GET', path, { token });
      t.is(res.status, status, res.text);
      t.is(res.body.code, status === 503 ? 'authorization_unavailable' : 'policy_no_decision');
      const [record] = await h.store.listAudit({ limit: 1 });
      t.like(record, {
        action,
        outcome: outcome === 'error' ? 'error' : 'denied',
        http_status: status,
        sub: 'lister',
        request_id: res.headers['x-request-id'] as string,
      });
      const metrics = await h.metrics.registry.metrics();
      t.is(sample(metrics, 'verdict_decisions_total', { action, outcome }), 1);
    });
  }
}
