import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
  type JWTHeaderParameters,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'verdict-transactions';
export const ALGORITHMS = ['PS256', 'RS256', 'ES256', 'EdDSA'] as const;

export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** A key pair for `alg`, with a fresh kid unless one is given. */
export async function makeKey(alg: string, kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A real authorization server's JWKS endpoint on an ephemeral loopback port, keys generated per
 * run. Tests rotate keys, take it down, and count fetches.
 */
export class TestIssuer {
  keys: SigningKey[] = [];
  fetches = 0;
  /** When set, the endpoint answers with this status instead of the key set. */
  failWith: number | undefined;
  #server: Server | undefined;
  #url = '';

  static async start(): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    for (const alg of ALGORITHMS) issuer.keys.push(await makeKey(alg));
    const server = createServer((req, res) => {
      issuer.fetches++;
      if (issuer.failWith !== undefined) {
        res.writeHead(issuer.failWith).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify({ keys: issuer.keys.map((key) => key.publicJwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer.#server = server;
    issuer.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    return issuer;
  }

  get jwksUrl(): URL {
    return new URL(this.#url);
  }

  key(alg: string): SigningKey {
    const key = this.keys.find((candidate) => candidate.alg === alg);
    if (key === undefined) throw new Error(`no ${alg} key`);
    return key;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

/** Claims of a valid customer token at `nowS`. */
export function baseClaims(nowS: number, overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    iat: nowS,
    exp: nowS + 600,
    jti: randomUUID(),
    sub: 'alice',
    client_id: 'web-app',
    scope: 'transactions:read transactions:write transactions:delete',
    ...overrides,
  };
}

/** Signs claims with a key; header fields may be overridden (typ, kid, crit…). */
export async function sign(
  key: SigningKey,
  claims: JWTPayload,
  header: Partial<JWTHeaderParameters> = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header })
    .sign(key.privateKey);
}
