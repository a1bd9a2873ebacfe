import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where the development key lives when AUDIT_HMAC_KEY_FILE is not set. */
export const DEV_AUDIT_KEY_FILE = 'data/audit-hmac.key';

/** Least key length: a 256-bit secret. */
const MIN_KEY_BYTES = 32;

/** Why the audit key cannot be used. */
export class AuditKeyError extends Error {}

function decode(text: string, file: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]+$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length < MIN_KEY_BYTES)
    throw new AuditKeyError(`${file}: the audit key must hold at least 32 bytes (hex or base64)`);
  return key;
}

/**
 * Loads the audit HMAC key (hex or base64 text). With `create`, a missing file is created with a
 * fresh random key, readable by its owner only — for development; production mounts its own.
 */
export function loadAuditKey(file: string, create: boolean): { key: Buffer; created: boolean } {
  try {
    return { key: decode(readFileSync(file, 'utf8'), file), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!create) throw new AuditKeyError(`${file}: no such audit key file`);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key: decode(readFileSync(file, 'utf8'), file), created: true };
}
