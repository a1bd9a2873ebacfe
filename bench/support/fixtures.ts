/** The frozen environment of every benchmarked decision. */
export const BENCH_ENVIRONMENT = { now: '2026-11-23T10:00:00Z', request_id: 'bench', ip: '127.0.0.1' };

/** A retail manager who may read and approve. */
export const MANAGER = {
  claims: {
    sub: 'mia',
    client_id: 'web-app',
    scope: 'transactions:read transactions:approve',
    roles: ['manager'],
    department: 'retail',
  },
};

/** The i-th pending retail grocery transaction of `owner`, on `owner`'s open account. */
export function benchResource(i: number, owner = 'alice') {
  return {
    type: 'transaction',
    id: `t-${i}`,
    owner,
    department: 'retail',
    amount_minor: 1000 + i,
    currency: 'EUR',
    category: 'groceries',
    status: 'pending',
    created_at: '2026-11-20T09:30:00Z',
    account: { id: `acc-${owner}`, owner, department: 'retail', status: 'open' },
  };
}
