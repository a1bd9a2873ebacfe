import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * DEVELOPMENT ONLY. A local signing key, issuer and audience so `npm start` runs without an
 * authorization server. The key is generated on first use into data/ (never committed).
 */
export const DEV_ISSUER_PORT = 8180;
export const DEV_ISSUER = `http://127.0.0.1:${DEV_ISSUER_PORT}`;
export const DEV_AUDIENCE = 'verdict-transactions';
export const DEV_ALG = 'ES256';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Where the development signing key lives. */
export const DEV_KEY_FILE = join(repoRoot, 'data', 'dev-issuer', 'signing-key.json');

/** The development signing key pair, created on first use. */
export async function devSigningKey(file = DEV_KEY_FILE): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair(DEV_ALG, { extractable: true });
  const kid = randomUUID();
  const keys = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: DEV_ALG, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: DEV_ALG, use: 'sig' },
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

/** Signs an RFC 9068 access token with the development key. */
export async function signDevToken(claims: JWTPayload, ttlS: number, file = DEV_KEY_FILE): Promise<string> {
  const { privateJwk } = await devSigningKey(file);
  const key = await importJWK(privateJwk, DEV_ALG);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: DEV_ALG, typ: 'at+jwt', kid: privateJwk.kid ?? '' })
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlS}s`)
    .setJti(randomUUID())
    .sign(key);
}
