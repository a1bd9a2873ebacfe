import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from '../../service/src/audit/record.js';
import { openStore } from '../../service/src/store/open-store.js';
import type { Category, Status } from '../../service/src/transactions/model.js';

/** The benchmark's database: what every server under test reads. */
export interface SeededData {
  /** The SQLite file. */
  readonly databasePath: string;
  /** The audit chain's key file (AUDIT_HMAC_KEY_FILE). */
  readonly auditKeyFile: string;
  /** A pending grocery payment of alice's: the row of `GET /transactions/{id}`. */
  readonly transactionId: string;
  /** How many transactions alice holds (more than a page of 100). */
  readonly aliceTransactions: number;
}

const ALICE_ROWS = 150;
const BOB_ROWS = 50;
const CATEGORIES: readonly Category[] = ['groceries', 'dining', 'travel', 'utilities', 'other'];
const STATUSES: readonly Status[] = ['pending', 'settled', 'approved'];

function seedAudit(at: string, action: string, type: string, id: string, sub: string): AuditEntry {
  return {
    id: randomUUID(),
    time: at,
    request_id: 'bench-seed',
    decision_id: null,
    bundle_revision: null,
    action,
    resource_type: type,
    resource_id: id,
    sub,
    client_id: 'bench-seed',
    agent_id: null,
    agent_client_type: null,
    outcome: 'allowed',
    reasons: ['bench_seed'],
    http_status: 201,
    changed_fields: [],
    client_ip: null,
  };
}

/**
 * Creates the benchmark's SQLite database in `dir` through the service's own store (so schema and
 * audit records are the service's): alice's and bob's retail accounts, 150 transactions of alice's
 * and 50 of bob's over the last 100 days.
 */
export async function seed(dir: string, nowMs = Date.now()): Promise<SeededData> {
  const databasePath = join(dir, 'verdict.db');
  const auditKeyFile = join(dir, 'audit-hmac.key');
  writeFileSync(auditKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const { store } = openStore(`sqlite:${databasePath}`, auditKeyFile);
  const opened = new Date(nowMs - 200 * 86_400_000).toISOString();
  let transactionId = '';
  for (const [owner, rows] of [
    ['alice', ALICE_ROWS],
    ['bob', BOB_ROWS],
  ] as const) {
    const accountId = `acct-${owner}-retail`;
    await store.openAccount(
      {
        id: accountId,
        owner,
        department: 'retail',
        currency: 'EUR',
        status: 'open',
        created_at: opened,
        version: 1,
      },
      seedAudit(opened, 'accounts:open', 'account', accountId, owner),
    );
    for (let i = 0; i < rows; i++) {
      const id = randomUUID();
      const at = new Date(nowMs - (i + 1) * 16 * 3_600_000).toISOString();
      const outcome = await store.create(
        {
          id,
          owner,
          account_id: accountId,
          amount_minor: 1000 + 37 * i,
          currency: 'EUR',
          category: CATEGORIES[i % CATEGORIES.length] ?? 'other',
          counterparty: { name: `Shop ${i}`, account: `DE00BENCH${String(i).padStart(6, '0')}` },
          note: i % 3 === 0 ? `note ${i}` : null,
          status: i === 0 ? 'pending' : (STATUSES[i % STATUSES.length] ?? 'settled'),
          department: 'retail',
          created_at: at,
          updated_at: at,
          version: 1,
        },
        seedAudit(at, 'transactions:create', 'transaction', id, owner),
      );
      if (outcome.kind !== 'created') throw new Error(`seeding ${id}: ${outcome.kind}`);
      if (owner === 'alice' && i === 0) transactionId = id;
    }
  }
  await store.close();
  return { databasePath, auditKeyFile, transactionId, aliceTransactions: ALICE_ROWS };
}
