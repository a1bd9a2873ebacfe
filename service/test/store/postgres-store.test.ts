import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../../../scripts/servers/postgres.mjs';
import { sealWith } from '../../src/audit/record.js';
import { connectStore, openDatabase } from '../../src/store/open-store.js';
import { PostgresOpenError, PostgresStore, postgresTarget } from '../../src/store/postgres/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { FROZEN_NOW_MS } from '../support/harness.js';
import { STORE_DRIVERS } from '../support/store-drivers.js';
import { ACCOUNT, entry } from './fixtures.js';

// What only the PostgreSQL driver has: the postgres:// startup path, migrations shared by
// replicas, and failing closed without credentials when the database is away or the URL is bad.

const postgres = STORE_DRIVERS.find((driver) => driver.name === 'postgres')!;
const seal = sealWith(randomBytes(32));
const SECRET = 's3cret-Pa55';

/** The URL with a user and password put in (the test server trusts any). */
function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = SECRET;
  return parsed.toString();
}

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

/** The error `work` rejects with, checked to name no credential in its message or any field. */
async function refusal(
  t: import('ava').ExecutionContext,
  work: () => Promise<unknown>,
): Promise<PostgresOpenError> {
  const error = await t.throwsAsync(work, { instanceOf: PostgresOpenError });
  t.false(error.message.includes(SECRET), error.message);
  t.false(JSON.stringify(error).includes(SECRET), 'no field holds the password');
  t.false(String(error.stack).includes(SECRET));
  t.is(error.cause, undefined);
  return error;
}

test('connectStore: a postgres:// DATABASE_URL opens the PostgreSQL store with the audit key, migrated; ping and close', async (t) => {
  const { url } = await postgres.open(t);
  const dir = mkdtempSync(join(tmpdir(), 'verdict-pg-key-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const keyFile = join(dir, 'audit.key');
  const key = randomBytes(32);
  writeFileSync(keyFile, key.toString('hex'));
  const opened = await connectStore(withPassword(url), keyFile, { now: () => FROZEN_NOW_MS });
  t.true(opened.store instanceof PostgresStore);
  t.deepEqual(opened.key, key);
  t.is(opened.keyFile, keyFile);
  t.false(opened.keyCreated);
  await opened.store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  t.like(await opened.store.getAccount(ACCOUNT.id), { status: 'open' });
  await opened.store.ping();
  await opened.store.close();
  await opened.store.close();
  await t.throwsAsync(async () => opened.store.ping());
});

test('openDatabase: the driver by the scheme (postgres://, postgresql://, sqlite:)', async (t) => {
  const { url } = await postgres.open(t);
  const other = await openDatabase(url.replace(/^postgres:/, 'postgresql:'), { seal });
  t.teardown(() => other.close());
  t.true(other instanceof PostgresStore);
  const dir = mkdtempSync(join(tmpdir(), 'verdict-sqlite-'));
  const local = await openDatabase(`sqlite:${join(dir, 'v.db')}`, { seal });
  t.teardown(async () => {
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.true(local instanceof SqliteStore);
});

test('replicas opening one new database at once migrate it once; reopening changes nothing', async (t) => {
  const { url, query, store } = await postgres.open(t);
  await store.close();
  await query(
    'DROP TABLE audit_chain_head, audit_log, idempotency_keys, transactions, accounts, schema_migrations',
  );
  const stores = await Promise.all(
    Array.from({ length: 4 }, () => PostgresStore.fromUrl(url, { seal, now: () => FROZEN_NOW_MS })),
  );
  t.teardown(async () => {
    for (const each of stores) await each.close();
  });
  await stores[0]!.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  const again = await PostgresStore.fromUrl(url, { seal });
  t.teardown(() => again.close());
  t.like(await again.getAccount(ACCOUNT.id), { id: ACCOUNT.id });
  t.deepEqual(await query('SELECT version, applied_at FROM schema_migrations'), [
    { version: 1, applied_at: new Date(FROZEN_NOW_MS).toISOString() },
  ]);
  t.deepEqual(await query('SELECT seq FROM audit_chain_head'), [{ seq: '1' }]);
});

test('an unreachable server: PostgresOpenError naming host, port and database, not the password', async (t) => {
  const port = await freePort();
  const error = await refusal(t, () =>
    PostgresStore.fromUrl(`postgres://verdict:${SECRET}@127.0.0.1:${port}/verdict`, { seal }),
  );
  t.is(
    error.message,
    `cannot open the PostgreSQL database at 127.0.0.1:${port}/verdict: connect ECONNREFUSED 127.0.0.1:${port}`,
  );
  t.is(error.code, 'ECONNREFUSED');
});

test('a database that does not exist: PostgresOpenError with the server’s reason', async (t) => {
  const { url } = await postgres.open(t);
  const parsed = new URL(withPassword(url));
  parsed.pathname = '/nope';
  const error = await refusal(t, () => PostgresStore.fromUrl(parsed.toString(), { seal }));
  t.regex(
    error.message,
    /^cannot open the PostgreSQL database at 127\.0\.0\.1:\d+\/nope: database "nope" does not exist$/,
  );
  t.is(error.code, '3D000');
});

test('a malformed postgres:// URL: PostgresOpenError, the URL not repeated', async (t) => {
  for (const url of [`postgres://u:${SECRET}@127.0.0.1:notaport/db`, `postgresql://u:${SECRET}@[::1/db`]) {
    const error = await refusal(t, () => PostgresStore.fromUrl(url, { seal }));
    t.is(error.message, 'a PostgreSQL DATABASE_URL is a valid postgres:// or postgresql:// URL');
  }
});

test('the server going away: ping and writes fail (readiness, 500s), close still resolves', async (t) => {
  const server = await startPostgres();
  t.teardown(() => server.stop());
  const store = await PostgresStore.fromUrl(server.url, { seal });
  await store.ping();
  await server.stop();
  await t.throwsAsync(async () => store.ping());
  await t.throwsAsync(async () => store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open')));
  await store.close();
});

test('bigints beyond 2^53 are refused on read, not rounded', async (t) => {
  const { url } = await postgres.open(t);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  const store = await PostgresStore.fromUrl(url, { seal });
  t.teardown(() => store.close());
  await store.openAccount(ACCOUNT, entry(ACCOUNT.id, 'accounts:open'));
  await client.query('UPDATE audit_log SET seq = 9007199254740993');
  await t.throwsAsync(async () => store.listAudit({ limit: 1 }), {
    instanceOf: RangeError,
    message: 'bigint 9007199254740993 is beyond the safe integer range',
  });
});

test('postgresTarget: host, port and database of a URL, never its user or password', (t) => {
  t.is(
    postgresTarget(`postgres://u:${SECRET}@db.internal/verdict?sslmode=require`),
    'db.internal:5432/verdict',
  );
  t.is(postgresTarget('postgresql://u@10.0.0.5:6432/v'), '10.0.0.5:6432/v');
  t.is(postgresTarget('postgres:///verdict?host=/var/run/postgresql'), '/var/run/postgresql:5432/verdict');
  t.is(postgresTarget('postgres:///verdict'), 'localhost:5432/verdict');
});
