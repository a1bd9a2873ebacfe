import { DEV_AUDIT_KEY_FILE, loadAuditKey } from '../audit/hmac-key.js';
import { sealWith } from '../audit/record.js';
import { SqliteStore } from './sqlite-store.js';

/** The opened store and where its audit key came from. */
export interface OpenedStore {
  readonly store: SqliteStore;
  readonly key: Buffer;
  readonly keyFile: string;
  /** True when a development key was generated just now. */
  readonly keyCreated: boolean;
}

/**
 * Opens the store of DATABASE_URL with the audit key of AUDIT_HMAC_KEY_FILE. Without that variable a
 * development key is used from (or generated into) data/audit-hmac.key; a configured file must exist.
 */
export function openStore(
  databaseUrl: string,
  auditKeyFile: string | undefined,
  now?: () => number,
): OpenedStore {
  const keyFile = auditKeyFile ?? DEV_AUDIT_KEY_FILE;
  const { key, created } = loadAuditKey(keyFile, auditKeyFile === undefined);
  return { store: SqliteStore.fromUrl(databaseUrl, sealWith(key), now), key, keyFile, keyCreated: created };
}
