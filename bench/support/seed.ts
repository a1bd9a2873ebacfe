import { ALICE, type BenchIssuer } from './issuer.js';
import type { Launcher } from './launcher.js';
import { once } from './measure.js';

/** What the benchmark's database holds for the scenarios to read. */
export interface SeededData {
  /** A pending grocery payment of alice's: the row of `GET /transactions/{id}`. */
  readonly transactionId: string;
  /** How many transactions alice holds (more than a page of 100). */
  readonly aliceTransactions: number;
}

const ROWS = { alice: 150, bob: 50 } as const;
const CATEGORIES = ['groceries', 'dining', 'travel', 'utilities', 'other'] as const;

async function post(
  port: number,
  path: string,
  token: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const { status, body: text } = await once(port, path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (status !== 201) throw new Error(`seeding: POST ${path} answered ${status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * Fills the launcher's empty database through the service's own API (embedded mode), so rows,
 * accounts and audit records are exactly what the service writes: alice and bob each open a
 * retail account, then alice creates 150 transactions on hers and bob 50.
 */
export async function seed(launcher: Launcher, issuer: BenchIssuer): Promise<SeededData> {
  const service = await launcher.startService({ embedded: true });
  try {
    let transactionId = '';
    for (const [sub, rows] of Object.entries(ROWS)) {
      const token = await issuer.sign({
        ...ALICE,
        sub,
        scope: 'accounts:write transactions:read transactions:write',
      });
      const account = await post(service.port, '/accounts', token, { currency: 'EUR' });
      for (let i = 0; i < rows; i++) {
        const created = await post(service.port, '/transactions', token, {
          account_id: account.id,
          amount_minor: 1000 + 37 * i,
          currency: 'EUR',
          category: CATEGORIES[i % CATEGORIES.length],
          counterparty: { name: `Shop ${i}`, account: `DE00BENCH${String(i).padStart(6, '0')}` },
          ...(i % 3 === 0 ? { note: `note ${i}` } : {}),
        });
        if (sub === 'alice' && i === 0) transactionId = String(created.id);
      }
    }
    return { transactionId, aliceTransactions: ROWS.alice };
  } finally {
    await service.proc.stop();
  }
}
