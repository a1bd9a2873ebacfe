import type Database from 'better-sqlite3';
import {
  IDEMPOTENCY_TTL_MS,
  type IdempotencyKey,
  type IdempotencyStore,
  type StoredResponse,
} from '../idempotency-store.js';
import { fromIdempotencyRow, type IdempotencyRow } from '../sql/rows.js';

/** The idempotency_keys table: first responses by caller and key, for a day. */
export class SqliteIdempotency implements IdempotencyStore {
  readonly #now: () => number;
  readonly #expire: Database.Statement<[string]>;
  readonly #find: Database.Statement<[string, string], IdempotencyRow>;
  readonly #insert: Database.Statement<[string, string, string, number, string, string, string, string]>;

  constructor(db: Database.Database, now: () => number) {
    this.#now = now;
    this.#expire = db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?');
    this.#find = db.prepare(
      'SELECT fingerprint, status, body, location, etag, created_at FROM idempotency_keys WHERE scope = ? AND key = ?',
    );
    this.#insert = db.prepare(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, status, body, location, created_at, etag)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  findIdempotent(scope: string, key: string): Promise<StoredResponse | undefined> {
    const row = this.#find.get(scope, key);
    const fresh = row !== undefined && Date.parse(row.created_at) >= this.#now() - IDEMPOTENCY_TTL_MS;
    return Promise.resolve(fresh ? fromIdempotencyRow(row) : undefined);
  }

  /** Inside a write: forgets expired keys, then gives the response stored under this one, if any. */
  replay(key: IdempotencyKey): StoredResponse | undefined {
    this.#expire.run(new Date(this.#now() - IDEMPOTENCY_TTL_MS).toISOString());
    const row = this.#find.get(key.scope, key.key);
    return row === undefined ? undefined : fromIdempotencyRow(row);
  }

  /** Inside the write that created the resource: stores its first response under the key. */
  remember(key: IdempotencyKey, response: Omit<StoredResponse, 'fingerprint'>, createdAt: string): void {
    this.#insert.run(
      key.scope,
      key.key,
      key.fingerprint,
      response.status,
      JSON.stringify(response.body),
      response.location,
      createdAt,
      response.etag,
    );
  }
}
