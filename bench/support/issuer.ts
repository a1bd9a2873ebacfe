import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The audience every benchmarked server expects. */
export const AUDIENCE = 'verdict-transactions';

/** The algorithm of the benchmark's tokens, the development issuer's. */
export const TOKEN_ALG = 'ES256';

/** Claims of a token besides the registered ones the issuer sets. */
export type TokenClaims = Record<string, unknown> & { sub: string; client_id: string; scope: string };

/** Alice, a retail customer who may read her transactions: the benchmark's caller. */
export const ALICE: TokenClaims = { sub: 'alice', client_id: 'web-app', scope: 'transactions:read' };

/**
 * A stand-in authorization server: one ES256 key generated per run, served as a JWKS over HTTP on
 * an ephemeral loopback port (fetched once by each server at start), and the tokens it signs.
 */
export class BenchIssuer {
  readonly #server: Server;
  readonly #key: CryptoKey;
  readonly publicJwk: JWK;
  readonly jwksUrl: string;
  readonly issuer: string;

  private constructor(server: Server, key: CryptoKey, publicJwk: JWK) {
    this.#server = server;
    this.#key = key;
    this.publicJwk = publicJwk;
    const { port } = server.address() as AddressInfo;
    this.issuer = `http://127.0.0.1:${port}`;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;
  }

  static async start(): Promise<BenchIssuer> {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: randomUUID(), alg: TOKEN_ALG, use: 'sig' };
    const jwks = JSON.stringify({ keys: [publicJwk] });
    const server = createServer(function serveJwks(req, res) {
      if (req.method === 'GET' && req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(jwks);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new BenchIssuer(server, privateKey, publicJwk);
  }

  /** An RFC 9068 access token for `claims`, valid for `ttlS` seconds from now. */
  sign(claims: TokenClaims, ttlS = 3000): Promise<string> {
    const nowS = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: TOKEN_ALG, typ: 'at+jwt', kid: this.publicJwk.kid ?? '' })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + ttlS)
      .setJti(randomUUID())
      .sign(this.#key);
  }

  /** `count` distinct tokens for `claims` (each its own `jti`). */
  async signMany(claims: TokenClaims, count: number, ttlS = 3000): Promise<string[]> {
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) tokens.push(await this.sign(claims, ttlS));
    return tokens;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
