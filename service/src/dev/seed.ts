import { randomUUID } from 'node:crypto';
import type { Transaction } from '../transactions/model.js';
import type { TransactionStore } from '../transactions/store.js';

type Demo = Pick<
  Transaction,
  'owner' | 'amount_minor' | 'currency' | 'category' | 'department' | 'status'
> & {
  counterparty: string;
  note?: string;
  daysAgo: number;
};

const DEMO: readonly Demo[] = [
  {
    owner: 'alice',
    amount_minor: 4250,
    currency: 'EUR',
    category: 'groceries',
    department: 'retail',
    status: 'settled',
    counterparty: 'Corner Market',
    daysAgo: 2,
  },
  {
    owner: 'alice',
    amount_minor: 125000,
    currency: 'EUR',
    category: 'travel',
    department: 'retail',
    status: 'pending',
    counterparty: 'Rail Europe',
    note: 'conference trip',
    daysAgo: 1,
  },
  {
    owner: 'alice',
    amount_minor: 9900,
    currency: 'EUR',
    category: 'dining',
    department: 'retail',
    status: 'approved',
    counterparty: 'Trattoria Roma',
    daysAgo: 10,
  },
  {
    owner: 'bob',
    amount_minor: 2500000,
    currency: 'EUR',
    category: 'transfer',
    department: 'retail',
    status: 'pending',
    counterparty: 'Bob Savings',
    note: 'yearly savings',
    daysAgo: 0,
  },
  {
    owner: 'bob',
    amount_minor: 5000,
    currency: 'USD',
    category: 'gambling',
    department: 'retail',
    status: 'settled',
    counterparty: 'Lucky Casino',
    daysAgo: 40,
  },
  {
    owner: 'carol',
    amount_minor: 320000,
    currency: 'GBP',
    category: 'salary',
    department: 'private',
    status: 'settled',
    counterparty: 'Acme Ltd',
    daysAgo: 5,
  },
  {
    owner: 'carol',
    amount_minor: 75000,
    currency: 'GBP',
    category: 'crypto',
    department: 'private',
    status: 'pending',
    counterparty: 'Coin Exchange',
    daysAgo: 3,
  },
];

/** DEVELOPMENT ONLY. Fills an empty store with a few demo transactions; returns how many it added. */
export async function seedDemoData(store: TransactionStore, nowMs: number): Promise<number> {
  const page = await store.list({ limit: 1 }, [{}]);
  if (page.items.length > 0) return 0;
  for (const [index, demo] of DEMO.entries()) {
    const at = new Date(nowMs - demo.daysAgo * 86_400_000 - index * 60_000).toISOString();
    const id = randomUUID();
    await store.create(
      {
        id,
        owner: demo.owner,
        account_id: `acct-${demo.owner}-1`,
        amount_minor: demo.amount_minor,
        currency: demo.currency,
        category: demo.category,
        counterparty: {
          name: demo.counterparty,
          account: `GB${String(index + 10)}VERD0000${String(index + 1000)}`,
        },
        note: demo.note ?? null,
        status: demo.status,
        department: demo.department,
        created_at: at,
        updated_at: at,
        version: 1,
      },
      {
        id: randomUUID(),
        time: at,
        request_id: 'demo-seed',
        decision_id: null,
        bundle_revision: null,
        action: 'transactions:create',
        resource_type: 'transaction',
        resource_id: id,
        sub: demo.owner,
        client_id: 'demo-seed',
        agent_id: null,
        agent_client_type: null,
        outcome: 'allowed',
        reasons: ['demo_seed'],
        http_status: 201,
        changed_fields: [],
        client_ip: null,
      },
    );
  }
  return DEMO.length;
}
