import type { PolicyResource } from '../../src/contract/policy.js';

/** The frozen environment of the fixture decisions. */
export const ENVIRONMENT = { now: '2026-11-23T10:00:00Z', request_id: 'req-1', ip: '203.0.113.7' };

/** Alice's pending grocery transaction in retail, with attributes overridden per test. */
export function fixtureResource(
  overrides: Partial<PolicyResource> & Record<string, unknown> = {},
): PolicyResource {
  return {
    type: 'transaction',
    id: 'tx-1',
    owner: 'alice',
    department: 'retail',
    amount_minor: 12050,
    currency: 'EUR',
    category: 'groceries',
    status: 'pending',
    created_at: '2026-11-20T09:30:00Z',
    ...overrides,
  };
}
