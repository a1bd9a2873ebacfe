import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The JWS algorithm of every token this server signs (the service accepts PS256, RS256, ES256, EdDSA). */
export const SIGNING_ALG = 'ES256';

/** A key file that cannot be used; the message names the file. */
export class KeyFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'KeyFileError';
  }
}

/** The server's secrets: made on first start, read back on every later one. */
export interface KeyMaterial {
  /** The private signing key (EC P-256) with its `kid`, `alg` and `use`. */
  readonly signingKey: JWK & { kid: string };
  /** Keys that sign the interaction and session cookies. */
  readonly cookieKeys: readonly string[];
  /** Secrets of the confidential clients, by client_id (the gateway's included). */
  readonly clientSecrets: Readonly<Record<string, string>>;
}

/** Where each secret lives under KEYS_DIR (the gateway's secret is GATEWAY_CLIENT_SECRET_FILE). */
export function keyFiles(keysDir: string): {
  signingKey: string;
  cookieKeys: string;
  clientSecret: (clientId: string) => string;
} {
  return {
    signingKey: join(keysDir, 'signing-key.jwk.json'),
    cookieKeys: join(keysDir, 'cookie-keys.json'),
    clientSecret: (clientId) => join(keysDir, 'client-secrets', clientId),
  };
}

/** A random secret of 256 bits, base64url. */
function secret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Reads a secret file, or creates it with `make()` (mode 0600, in a 0700 directory) when it does
 * not exist. Refuses a file that its group or others may read or write.
 */
async function readOrCreate(file: string, make: () => Promise<string>): Promise<string> {
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0)
      throw new KeyFileError(file, `mode ${(info.mode & 0o777).toString(8)} lets others read it; chmod 600`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const content = await make();
  try {
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    return content;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFile(file, 'utf8');
    throw error;
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new KeyFileError(file, 'is not valid JSON');
  }
}

async function newSigningKey(): Promise<string> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return `${JSON.stringify({ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' }, null, 2)}\n`;
}

async function signingKey(file: string): Promise<JWK & { kid: string }> {
  const jwk = parseJson(file, await readOrCreate(file, newSigningKey)) as JWK;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string')
    throw new KeyFileError(file, 'must hold a private EC P-256 JWK with a kid');
  return { ...jwk, kid: jwk.kid, alg: SIGNING_ALG, use: 'sig' };
}

async function cookieKeys(file: string): Promise<string[]> {
  const keys = parseJson(
    file,
    await readOrCreate(file, () => Promise.resolve(`${JSON.stringify([secret()])}\n`)),
  );
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((key) => typeof key === 'string' && key.length >= 32)
  )
    throw new KeyFileError(file, 'must hold a JSON array of secrets of 32 characters or more');
  return keys as string[];
}

async function clientSecret(file: string): Promise<string> {
  const value = (await readOrCreate(file, () => Promise.resolve(`${secret()}\n`))).trim();
  if (value.length < 32) throw new KeyFileError(file, 'must hold a secret of 32 characters or more');
  return value;
}

/**
 * DEVELOPMENT ONLY. Loads the server's keys and client secrets from KEYS_DIR, generating each
 * file on first start (mode 0600) so a restart keeps tokens verifiable and clients configured.
 */
export async function loadKeyMaterial(options: {
  readonly keysDir: string;
  readonly gatewayClientSecretFile: string;
  readonly gatewayClientId: string;
  /** Confidential clients other than the gateway. */
  readonly confidentialClientIds: readonly string[];
}): Promise<KeyMaterial> {
  const files = keyFiles(options.keysDir);
  const [key, cookies, gateway, ...secrets] = await Promise.all([
    signingKey(files.signingKey),
    cookieKeys(files.cookieKeys),
    clientSecret(options.gatewayClientSecretFile),
    ...options.confidentialClientIds.map((id) => clientSecret(files.clientSecret(id))),
  ]);
  const clientSecrets = Object.fromEntries(
    options.confidentialClientIds.map((id, index) => [id, secrets[index] as string]),
  );
  return Object.freeze({
    signingKey: key,
    cookieKeys: Object.freeze(cookies),
    clientSecrets: Object.freeze({ ...clientSecrets, [options.gatewayClientId]: gateway }),
  });
}

/** A confidential client's secret from KEYS_DIR (the token CLI authenticates with it). */
export async function readClientSecret(keysDir: string, clientId: string): Promise<string> {
  return (await readFile(keyFiles(keysDir).clientSecret(clientId), 'utf8')).trim();
}
