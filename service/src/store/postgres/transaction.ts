import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';

/** How many times a write transaction runs at most when PostgreSQL asks for a retry. */
export const MAX_ATTEMPTS = 5;

/**
 * Whether running the whole transaction again may succeed: a serialization failure or a deadlock
 * (PostgreSQL rolled it back), or a concurrent create under the same idempotency key that committed
 * first (the retry then replays its response).
 */
export function retryable(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
  return code === '40001' || code === '40P01' || (code === '23505' && constraint === 'idempotency_keys_pkey');
}

/**
 * Runs `work` in one READ COMMITTED transaction on a connection of its own: committed whole, or
 * rolled back whole and the error thrown. Retryable failures run it again, up to MAX_ATTEMPTS times
 * in all, after a short random pause. READ COMMITTED gives each statement a fresh snapshot, so a
 * statement after a lock wait sees what the lock's previous holder committed; the writes take the
 * row locks their checks need (see audit-log.ts for the chain head).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackFailed: unknown) => {
        // The connection is unusable (gone, or mid-protocol): the pool must not hand it out again.
        broken = rollbackFailed instanceof Error ? rollbackFailed : new Error(String(rollbackFailed));
      });
      if (attempt >= MAX_ATTEMPTS || !retryable(error)) throw error;
    } finally {
      client.release(broken);
    }
    await sleep(Math.random() * 5 * attempt);
  }
}
