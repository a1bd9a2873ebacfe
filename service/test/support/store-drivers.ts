import test from 'ava';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres } from '../../../scripts/servers/postgres.mjs';
import { sealWith } from '../../src/audit/record.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import type { Store, StoreOptions } from '../../src/store/store.js';
import { FROZEN_NOW_MS } from './harness.js';

/** What a test registers its cleanup with. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

/** One fresh, empty database of a driver and the ways a test reaches it besides the store. */
export interface TestDatabase {
  /** The store opened on it (frozen clock, a random audit key unless the options give a sealer). */
  readonly store: Store;
  /** Its DATABASE_URL. */
  readonly url: string;
  /** The audit key the store seals with. */
  readonly key: Buffer;
  /** Another store on the same database: a second replica (closed in teardown). */
  readonly replica: (options?: Partial<StoreOptions>) => Promise<Store>;
  /** Runs SQL on a connection of its own, as someone with write access to the database would. */
  readonly exec: (sql: string) => Promise<void>;
  /** The rows of one query, on a connection of its own (committed data only). */
  readonly query: <R>(sql: string) => Promise<R[]>;
}

/** A store driver the shared suites run against. */
export interface StoreDriver {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh database with the store open on it; both are closed and removed in teardown. */
  readonly open: (t: Teardown, options?: Partial<StoreOptions>) => Promise<TestDatabase>;
  /** SQL that makes every audit insert fail, and the `code` of the error a write then throws. */
  readonly failAudit: { readonly sql: string; readonly code: string };
  /**
   * SQL an attacker runs after deleting records so that the next append chains after what is
   * left: PostgreSQL keeps the head in audit_chain_head, SQLite reads it from audit_log.
   */
  readonly rewindHead: string;
}

function storeOptions(key: Buffer, options: Partial<StoreOptions>): StoreOptions {
  return { seal: sealWith(key), now: () => FROZEN_NOW_MS, ...options };
}

const sqlite: StoreDriver = {
  name: 'sqlite',
  open(t, options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-store-'));
    const path = join(dir, 'verdict.db');
    const key = randomBytes(32);
    const stores: Store[] = [];
    const opened = (extra: Partial<StoreOptions>): Store => {
      const store = SqliteStore.open(path, storeOptions(key, extra));
      stores.push(store);
      return store;
    };
    const store = opened(options);
    t.teardown(async () => {
      for (const each of stores) await each.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const elsewhere = <T>(work: (db: Database.Database) => T): T => {
      const db = new Database(path);
      try {
        return work(db);
      } finally {
        db.close();
      }
    };
    return Promise.resolve({
      store,
      url: `sqlite:${path}`,
      key,
      replica: (extra = {}) => Promise.resolve(opened({ ...options, ...extra })),
      exec: (sql) => {
        elsewhere((db) => db.exec(sql));
        return Promise.resolve();
      },
      query: <R>(sql: string) => Promise.resolve(elsewhere((db) => db.prepare(sql).all() as R[])),
    });
  },
  failAudit: {
    sql: "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'down'); END",
    code: 'SQLITE_CONSTRAINT_TRIGGER',
  },
  rewindHead: '',
};

/** The PostgreSQL server of this test file (ava runs each file in a process of its own). */
let server: ReturnType<typeof startPostgres> | undefined;
let databases = 0;

test.after.always(async () => {
  if (server !== undefined) await (await server).stop();
});

/** A URL of the same server naming another database. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Runs `work` on a client of its own to `url`. */
async function onClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database (CREATE DATABASE) on the file's one PostgreSQL server, started on first use,
 * stopped after the file's tests; a database per test keeps them apart while they run at once.
 */
async function freshDatabase(): Promise<string> {
  server ??= startPostgres();
  const { url } = await server;
  const name = `verdict_test_${process.pid}_${++databases}`;
  await onClient(url, (client) => client.query(`CREATE DATABASE ${name}`));
  return withDatabase(url, name);
}

const postgres: StoreDriver = {
  name: 'postgres',
  async open(t, options = {}) {
    const url = await freshDatabase();
    const key = randomBytes(32);
    const stores: Store[] = [];
    const opened = async (extra: Partial<StoreOptions>): Promise<Store> => {
      const store = await PostgresStore.fromUrl(url, storeOptions(key, extra));
      stores.push(store);
      return store;
    };
    const store = await opened(options);
    t.teardown(async () => {
      for (const each of stores) await each.close();
    });
    return {
      store,
      url,
      key,
      replica: (extra = {}) => opened({ ...options, ...extra }),
      exec: async (sql) => {
        await onClient(url, (client) => client.query(sql));
      },
      query: <R>(sql: string) => onClient(url, async (client) => (await client.query(sql)).rows as R[]),
    };
  },
  failAudit: {
    sql: `CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'down'; END $$;
      CREATE TRIGGER audit_down BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_down()`,
    code: 'P0001',
  },
  rewindHead: `UPDATE audit_chain_head SET (seq, mac, time) =
    (SELECT COALESCE(MAX(seq), 0), MAX(mac) FILTER (WHERE seq = (SELECT MAX(seq) FROM audit_log)),
            MAX(time) FILTER (WHERE seq = (SELECT MAX(seq) FROM audit_log)) FROM audit_log)`,
};

/** Both drivers: the shared store and audit suites run each test once per driver. */
export const STORE_DRIVERS: readonly StoreDriver[] = [sqlite, postgres];
