import { DEV_AUDIT_KEY_FILE, loadAuditKey } from '../audit/hmac-key.js';
import { sealWith } from '../audit/record.js';
import type { AuditHooks } from './audit-log.js';
import { isPostgresUrl, PostgresStore } from './postgres/store.js';
import { SqliteStore } from './sqlite/store.js';
import type { Store, StoreOptions } from './store.js';

/** The opened store and where its audit key came from. */
export interface OpenedStore<S extends Store = Store> {
  readonly store: S;
  readonly key: Buffer;
  readonly keyFile: string;
  /** True when a development key was generated just now. */
  readonly keyCreated: boolean;
}

/** What the store is opened with besides its sealer. */
type OpenOptions = AuditHooks & { readonly now?: () => number };

function auditKey(auditKeyFile: string | undefined): { key: Buffer; keyFile: string; keyCreated: boolean } {
  const keyFile = auditKeyFile ?? DEV_AUDIT_KEY_FILE;
  const { key, created } = loadAuditKey(keyFile, auditKeyFile === undefined);
  return { key, keyFile, keyCreated: created };
}

/**
 * The driver of a DATABASE_URL by its scheme: `postgres://` / `postgresql://`, else `sqlite:<path>`.
 * `migrate: false` opens a PostgreSQL database without migrating it (a reader such as audit:verify,
 * whose role may only SELECT); a SQLite file is always migrated.
 */
export function openDatabase(
  databaseUrl: string,
  options: StoreOptions,
  open: { readonly migrate?: boolean } = {},
): Promise<Store> {
  if (isPostgresUrl(databaseUrl)) return PostgresStore.fromUrl(databaseUrl, options, open);
  return Promise.resolve(SqliteStore.fromUrl(databaseUrl, options));
}

/**
 * Opens the store of DATABASE_URL, either driver, with the audit key of AUDIT_HMAC_KEY_FILE.
 * Without that variable a development key is used from (or generated into) data/audit-hmac.key; a
 * configured file must exist.
 */
export async function connectStore(
  databaseUrl: string,
  auditKeyFile: string | undefined,
  options: OpenOptions = {},
): Promise<OpenedStore> {
  const { key, keyFile, keyCreated } = auditKey(auditKeyFile);
  const store = await openDatabase(databaseUrl, { ...options, seal: sealWith(key) });
  return { store, key, keyFile, keyCreated };
}

/** `connectStore` for a `sqlite:<path>` URL, synchronously (development tools and benchmarks). */
export function openStore(
  databaseUrl: string,
  auditKeyFile: string | undefined,
  options: OpenOptions = {},
): OpenedStore<SqliteStore> {
  const { key, keyFile, keyCreated } = auditKey(auditKeyFile);
  const store = SqliteStore.fromUrl(databaseUrl, { ...options, seal: sealWith(key) });
  return { store, key, keyFile, keyCreated };
}
