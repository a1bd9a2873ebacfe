import { randomUUID } from 'node:crypto';
import type { Account } from '../accounts/model.js';
import type { AuditEntry } from '../audit/record.js';
import type { AccountStore } from '../store/account-store.js';
import type { TransactionStore } from '../store/transaction-store.js';
import type { Transaction } from '../transactions/model.js';

/** The demo accounts: each customer holds one, at their home branch. */
export const DEMO_ACCOUNTS: readonly Pick<Account, 'id' | 'owner' | 'department' | 'currency'>[] = [
  { id: 'acct-alice-1', owner: 'alice', department: 'retail', currency: 'EUR' },
  { id: 'acct-bob-1', owner: 'bob', department: 'retail', currency: 'EUR' },
  { id: 'acct-carol-1', owner: 'carol', department: 'private', currency: 'GBP' },
];

type Demo = Pick<Transaction, 'owner' | 'amount_minor' | 'currency' | 'category' | 'status'> & {
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
    status: 'settled',
    counterparty: 'Corner Market',
    daysAgo: 2,
  },
  {
    owner: 'alice',
    amount_minor: 125000,
    currency: 'EUR',
    category: 'travel',
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
    status: 'approved',
    counterparty: 'Trattoria Roma',
    daysAgo: 10,
  },
  {
    owner: 'bob',
    amount_minor: 2500000,
    currency: 'EUR',
    category: 'transfer',
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
    status: 'settled',
    counterparty: 'Lucky Casino',
    daysAgo: 40,
  },
  {
    owner: 'carol',
    amount_minor: 320000,
    currency: 'GBP',
    category: 'salary',
    status: 'settled',
    counterparty: 'Acme Ltd',
    daysAgo: 5,
  },
  {
    owner: 'carol',
    amount_minor: 75000,
    currency: 'GBP',
    category: 'crypto',
    status: 'pending',
    counterparty: 'Coin Exchange',
    daysAgo: 3,
  },
];

/** The audit entry of a seeded row. */
function seedAudit(
  at: string,
  action: string,
  resourceType: string,
  resourceId: string,
  sub: string,
): AuditEntry {
  return {
    id: randomUUID(),
    time: at,
    request_id: 'demo-seed',
    decision_id: null,
    bundle_revision: null,
    action,
    resource_type: resourceType,
    resource_id: resourceId,
    sub,
    client_id: 'demo-seed',
    agent_id: null,
    agent_client_type: null,
    outcome: 'allowed',
    reasons: ['demo_seed'],
    http_status: 201,
    changed_fields: [],
    client_ip: null,
  };
}

/**
 * DEVELOPMENT ONLY. Fills an empty store with the demo accounts and a few transactions on them,
 * each with its audit record; returns how many transactions it added.
 */
export async function seedDemoData(store: TransactionStore & AccountStore, nowMs: number): Promise<number> {
  const page = await store.list({ limit: 1 }, [{}]);
  if (page.items.length > 0) return 0;
  const opened = new Date(nowMs - 90 * 86_400_000).toISOString();
  const accounts = new Map<string, Account>();
  for (const demo of DEMO_ACCOUNTS) {
    const account: Account = { ...demo, status: 'open', created_at: opened, version: 1 };
    if ((await store.getAccount(account.id)) === undefined)
      await store.openAccount(
        account,
        seedAudit(opened, 'accounts:open', 'account', account.id, account.owner),
      );
    accounts.set(account.owner, account);
  }
  for (const [index, demo] of DEMO.entries()) {
    const account = accounts.get(demo.owner);
    if (account === undefined) throw new Error(`no demo account for ${demo.owner}`);
    const at = new Date(nowMs - demo.daysAgo * 86_400_000 - index * 60_000).toISOString();
    const id = randomUUID();
    await store.create(
      {
        id,
        owner: account.owner,
        account_id: account.id,
        amount_minor: demo.amount_minor,
        currency: demo.currency,
        category: demo.category,
        counterparty: {
          name: demo.counterparty,
          account: `GB${String(index + 10)}VERD0000${String(index + 1000)}`,
        },
        note: demo.note ?? null,
        status: demo.status,
        department: account.department,
        created_at: at,
        updated_at: at,
        version: 1,
      },
      seedAudit(at, 'transactions:create', 'transaction', id, demo.owner),
    );
  }
  return DEMO.length;
}
