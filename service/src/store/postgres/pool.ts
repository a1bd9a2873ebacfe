import pg from 'pg';

/** The type OID of `bigint` (int8): sequence numbers and amounts. */
const INT8_OID = 20;

/** A bigint as a JavaScript number; one beyond 2^53 is refused rather than rounded. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} is beyond the safe integer range`);
  return value;
}

/** node-postgres reads int8 as a string by default; Verdict's bigints are safe integers. Per pool, not global. */
const TYPES = new pg.TypeOverrides();
TYPES.setTypeParser(INT8_OID, 'text', parseInt8);

/** How long a request waits for a free connection before it fails (and the request with it). */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * The connection pool of a `postgres://` DATABASE_URL (everything else, TLS included, as the URL
 * says). An idle connection that fails is dropped by the pool and the next query connects anew;
 * readiness reports a database that stays away.
 */
export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    types: TYPES,
    application_name: 'verdict',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  pool.on('error', () => undefined);
  return pool;
}

/** A statement of fixed text, prepared once per connection under its name. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** Names a fixed statement (the prefix keeps Verdict's apart on a shared connection). */
export function statement(name: string, text: string): Statement {
  return { name: `verdict_${name}`, text };
}

/** The pool, or the connection of the transaction a statement belongs to. */
export type Db = pg.Pool | pg.PoolClient;

/** Runs a fixed statement (prepared once per connection) and gives its rows. */
export async function rows<R>(db: Db, sql: Statement, values: readonly unknown[]): Promise<R[]> {
  const result = await db.query({ name: sql.name, text: sql.text, values: [...values] });
  return result.rows as R[];
}

/**
 * Runs dynamic SQL (a list query, whose conditions vary) and gives its rows. Left unnamed: a
 * named statement stays prepared on its connection for good, and the shapes are many.
 */
export async function dynamicRows<R>(db: Db, text: string, values: readonly unknown[]): Promise<R[]> {
  const result = await db.query({ text, values: [...values] });
  return result.rows as R[];
}
