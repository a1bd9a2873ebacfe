import { ConfigError, loadAuditConfig } from '../config.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { AuditKeyError, DEV_AUDIT_KEY_FILE, loadAuditKey } from './hmac-key.js';
import { sealWith } from './record.js';
import { verifyChain } from './verify.js';

/**
 * `npm run audit:verify`: checks the audit chain of DATABASE_URL with the key of AUDIT_HMAC_KEY_FILE
 * (default: the development key) and names the first broken record. Exit 0 intact, 1 broken, 2 unusable.
 */
function main(): number {
  let store: SqliteStore | undefined;
  try {
    const config = loadAuditConfig(process.env);
    const { key } = loadAuditKey(config.auditHmacKeyFile ?? DEV_AUDIT_KEY_FILE, false);
    store = SqliteStore.fromUrl(config.databaseUrl, sealWith(key));
    const verdict = verifyChain(store.auditTrail(), key);
    if (verdict.ok) {
      process.stdout.write(`audit chain intact: ${verdict.records} records, last seq ${verdict.lastSeq}\n`);
      return 0;
    }
    process.stdout.write(`audit chain BROKEN at seq ${verdict.seq} (id ${verdict.id}): ${verdict.problem}\n`);
    return 1;
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof AuditKeyError)) throw error;
    process.stderr.write(`audit:verify: ${error.message}\n`);
    return 2;
  } finally {
    void store?.close();
  }
}

process.exitCode = main();
