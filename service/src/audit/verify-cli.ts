import { ConfigError, loadAuditConfig } from '../config.js';
import { openDatabase } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { CheckpointFileError, readCheckpoints, type CheckpointLine } from './checkpoint.js';
import { AuditKeyError, DEV_AUDIT_KEY_FILE, loadAuditKey } from './hmac-key.js';
import { sealWith } from './record.js';
import { verifyChain, type ChainVerdict } from './verify.js';

/** Lets a missing checkpoint file through with a warning (the chain alone is checked). */
const ALLOW_MISSING = '--allow-missing-checkpoints';

/** How far the checkpoints reach, for the report of an intact chain. */
function anchoring(checkpoints: readonly CheckpointLine[] | undefined, lastSeq: number): string {
  if (checkpoints === undefined) return '';
  const latest = checkpoints.reduce<CheckpointLine | undefined>(
    (best, line) => (best === undefined || line.seq > best.seq ? line : best),
    undefined,
  );
  const matched =
    latest === undefined
      ? '; no checkpoints yet'
      : `; ${checkpoints.length} checkpoints match, the latest at seq ${latest.seq} (${latest.time})`;
  const unanchored = lastSeq - (latest?.seq ?? 0);
  return unanchored > 0 ? `${matched}; ${unanchored} newer records are not checkpointed yet` : matched;
}

/**
 * `npm run audit:verify [-- --allow-missing-checkpoints]`: checks the audit chain of DATABASE_URL
 * (SQLite or PostgreSQL) with the key of AUDIT_HMAC_KEY_FILE (default: the development key) against
 * the checkpoints of AUDIT_CHECKPOINT_FILE, and names the first broken record or the missing tail.
 * Exit 0 intact, 1 broken, 2 unusable (a database that cannot be read, a malformed or, without the
 * flag, missing checkpoint file).
 */
async function main(args: readonly string[]): Promise<number> {
  const unknown = args.find((arg) => arg !== ALLOW_MISSING);
  if (unknown !== undefined) {
    process.stderr.write(`audit:verify: unknown argument "${unknown}" (only ${ALLOW_MISSING})\n`);
    return 2;
  }
  let store: Store | undefined;
  try {
    const config = loadAuditConfig(process.env);
    const { key } = loadAuditKey(config.audit.hmacKeyFile ?? DEV_AUDIT_KEY_FILE, false);
    // Checkpoints first: each names a committed record, so the database read after it holds it.
    const file = config.audit.checkpointFile;
    const checkpoints = await readCheckpoints(file);
    if (checkpoints === undefined) {
      if (!args.includes(ALLOW_MISSING)) {
        process.stderr.write(
          `audit:verify: no checkpoint file at ${file} (AUDIT_CHECKPOINT_FILE): without it deleting the ` +
            `newest records cannot be detected; pass ${ALLOW_MISSING} to check the chain alone\n`,
        );
        return 2;
      }
      process.stderr.write(
        `audit:verify: WARNING: no checkpoint file at ${file}: checking the chain alone; ` +
          `deleting the newest records goes undetected\n`,
      );
    }
    let verdict: ChainVerdict;
    try {
      // Read only: no migration, so a role with SELECT on audit_log is enough on PostgreSQL.
      store = await openDatabase(config.store.databaseUrl, { seal: sealWith(key) }, { migrate: false });
      verdict = await verifyChain(store.auditTrail(), key, checkpoints);
    } catch (error) {
      // Not "broken": the chain was not read. The message names no credential (DATABASE_URL is not in it).
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`audit:verify: the audit trail cannot be read from DATABASE_URL: ${reason}\n`);
      return 2;
    }
    if (!verdict.ok) {
      const where = verdict.id === null ? `seq ${verdict.seq}` : `seq ${verdict.seq} (id ${verdict.id})`;
      process.stdout.write(`audit chain BROKEN at ${where}: ${verdict.problem}\n`);
      return 1;
    }
    process.stdout.write(
      `audit chain intact: ${verdict.records} records, last seq ${verdict.lastSeq}${anchoring(checkpoints, verdict.lastSeq)}\n`,
    );
    return 0;
  } catch (error) {
    if (!(
      error instanceof ConfigError ||
      error instanceof AuditKeyError ||
      error instanceof CheckpointFileError
    ))
      throw error;
    process.stderr.write(`audit:verify: ${error.message}\n`);
    return 2;
  } finally {
    await store?.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
