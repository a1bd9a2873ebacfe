import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Account } from '../../src/accounts/model.js';
import { sealWith, type AuditEntry } from '../../src/audit/record.js';
import type { AuditHooks } from '../../src/store/audit-log.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import type { Transaction } from '../../src/transactions/model.js';
import { FROZEN_NOW_MS, setupAuditEntry } from '../support/harness.js';

/** The frozen "now" as stored text. */
export const NOW = new Date(FROZEN_NOW_MS).toISOString();

/** An open EUR account of alice at retail. */
export const ACCOUNT: Account = {
  id: 'acct-alice-retail',
  owner: 'alice',
  department: 'retail',
  currency: 'EUR',
  status: 'open',
  created_at: NOW,
  version: 1,
};

/** A pending payment on ACCOUNT; spread and vary. */
export function transaction(id: string, changes: Partial<Transaction> = {}): Transaction {
  return {
    id,
    owner: 'alice',
    account_id: ACCOUNT.id,
    amount_minor: 4200,
    currency: 'EUR',
    category: 'groceries',
    counterparty: { name: 'Shop', account: 'DE001' },
    note: 'first',
    status: 'pending',
    department: 'retail',
    created_at: NOW,
    updated_at: NOW,
    version: 1,
    ...changes,
  };
}

/** An audit entry for a change of `resourceId`, with an id of its own. */
export function entry(resourceId: string, action = 'transactions:create'): AuditEntry {
  return { ...setupAuditEntry(resourceId), id: `audit-${resourceId}-${action}`, action };
}

/** A store on a fresh SQLite file in a temp dir, with a frozen clock; removed after the test. */
export function openTestStore(
  t: { teardown: (fn: () => unknown) => void },
  hooks: AuditHooks = {},
): { store: SqliteStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'verdict-store-'));
  const path = join(dir, 'verdict.db');
  const store = SqliteStore.open(path, {
    seal: sealWith(randomBytes(32)),
    now: () => FROZEN_NOW_MS,
    ...hooks,
  });
  t.teardown(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, path };
}
