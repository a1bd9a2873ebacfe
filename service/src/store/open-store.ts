import { DEV_AUDIT_KEY_FILE, loadAuditKey } from '../audit/hmac-key.js';
import { sealWith } from '../audit/record.js';
import type { AuditHooks } from './audit-log.js';
import { SqliteStore } from './sqlite/store.js';
import type { Store } from './store.js';

/** The opened store and where its audit key came from. */
export interface OpenedStore {
  readonly store: Store;
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
  options: AuditHooks & { readonly now?: () => number } = {},
): OpenedStore {
  const keyFile = auditKeyFile ?? DEV_AUDIT_KEY_FILE;
  const { key, created } = loadAuditKey(keyFile, auditKeyFile === undefined);
  const store = SqliteStore.fromUrl(databaseUrl, { ...options, seal: sealWith(key) });
  return { store, key, keyFile, keyCreated: created };
}
