import type pg from 'pg';
import {
  IDEMPOTENCY_TTL_MS,
  type IdempotencyKey,
  type IdempotencyStore,
  type StoredResponse,
} from '../idempotency-store.js';
import { fromIdempotencyRow, type IdempotencyRow } from '../sql/rows.js';
import { rows, statement, type Db } from './pool.js';

const EXPIRE = statement('idempotency_expire', 'DELETE FROM idempotency_keys WHERE created_at < $1');
const FIND = statement(
  'idempotency_find',
  'SELECT fingerprint, status, body, location, etag, created_at FROM idempotency_keys WHERE scope = $1 AND key = $2',
);
const INSERT = statement(
  'idempotency_insert',
  `INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, location, created_at, etag)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
);

/** The scope's column is bytea: the scope's NUL separator has no place in PostgreSQL text. */
function scopeBytes(scope: string): Buffer {
  return Buffer.from(scope, 'utf8');
}

/**
 * The idempotency_keys table: first responses by caller and key, for a day. Two creates under one
 * key at once both find nothing; the second's insert then waits for the first's row and fails on
 * the primary key, and its transaction runs again and replays (transaction.ts).
 */
export class PostgresIdempotency implements IdempotencyStore {
  readonly #pool: pg.Pool;
  readonly #now: () => number;

  constructor(pool: pg.Pool, now: () => number) {
    this.#pool = pool;
    this.#now = now;
  }

  async findIdempotent(scope: string, key: string): Promise<StoredResponse | undefined> {
    const [row] = await rows<IdempotencyRow>(this.#pool, FIND, [scopeBytes(scope), key]);
    const fresh = row !== undefined && Date.parse(row.created_at) >= this.#now() - IDEMPOTENCY_TTL_MS;
    return fresh ? fromIdempotencyRow(row) : undefined;
  }

  /** Inside a write: forgets expired keys, then gives the response stored under this one, if any. */
  async replay(db: Db, key: IdempotencyKey): Promise<StoredResponse | undefined> {
    await rows(db, EXPIRE, [new Date(this.#now() - IDEMPOTENCY_TTL_MS).toISOString()]);
    const [row] = await rows<IdempotencyRow>(db, FIND, [scopeBytes(key.scope), key.key]);
    return row === undefined ? undefined : fromIdempotencyRow(row);
  }

  /** Inside the write that created the resource: stores its first response under the key. */
  async remember(
    db: Db,
    key: IdempotencyKey,
    response: Omit<StoredResponse, 'fingerprint'>,
    createdAt: string,
  ): Promise<void> {
    await rows(db, INSERT, [
      scopeBytes(key.scope),
      key.key,
      key.fingerprint,
      response.status,
      JSON.stringify(response.body),
      response.location,
      createdAt,
      response.etag,
    ]);
  }
}
