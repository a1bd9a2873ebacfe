import test from 'ava';
import { InvalidLimitError, parseAgentLimits, type LimitParam } from '../src/agent-limits.js';

const VALID: readonly [Record<string, string>, object][] = [
  [{}, {}],
  [{ transaction_amount_limit: ' ', excluded_categories: '' }, {}],
  [{ transaction_amount_limit: '1000' }, { transaction_amount_limit: 1000 }],
  [{ transaction_amount_limit: '0' }, { transaction_amount_limit: 0 }],
  [{ transaction_not_older_than: '30' }, { transaction_not_older_than: 30 }],
  [{ transaction_not_older_than: '36500' }, { transaction_not_older_than: 36500 }],
  [{ transaction_not_older_than: '2025-10-01' }, { transaction_not_older_than: '2025-10-01' }],
  [{ excluded_categories: 'health' }, { excluded_categories: ['health'] }],
  [{ excluded_categories: 'gambling, crypto gambling' }, { excluded_categories: ['crypto', 'gambling'] }],
];

for (const [params, limits] of VALID) {
  test(`limits ${JSON.stringify(params)} → ${JSON.stringify(limits)}`, (t) => {
    t.deepEqual(parseAgentLimits(params), limits);
  });
}

const INVALID: readonly [Record<string, string>, LimitParam][] = [
  [{ transaction_amount_limit: '12.5' }, 'transaction_amount_limit'],
  [{ transaction_amount_limit: '-1' }, 'transaction_amount_limit'],
  [{ transaction_amount_limit: '1234567890123456' }, 'transaction_amount_limit'],
  [{ transaction_not_older_than: '36501' }, 'transaction_not_older_than'],
  [{ transaction_not_older_than: '2025-02-30' }, 'transaction_not_older_than'],
  [{ transaction_not_older_than: '2025-10-01T00:00:00Z' }, 'transaction_not_older_than'],
  [{ excluded_categories: 'Health' }, 'excluded_categories'],
  [{ excluded_categories: '<script>' }, 'excluded_categories'],
  [{ excluded_categories: Array.from({ length: 21 }, (_, i) => `c${i}`).join(' ') }, 'excluded_categories'],
];

for (const [params, param] of INVALID) {
  test(`limits ${JSON.stringify(params).slice(0, 60)} → InvalidLimitError on ${param}`, (t) => {
    const error = t.throws(() => parseAgentLimits(params), { instanceOf: InvalidLimitError });
    t.is(error.param, param);
  });
}
