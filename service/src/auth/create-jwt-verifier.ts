import type { Logger } from 'pino';
import type { JwtConfig } from '../config.js';
import { JwtVerifier } from './jwt-verifier.js';
import { RemoteKeySet } from './key-set.js';
import type { TokenCache } from './token-cache.js';

/** What the verifier's parts share: the verified-token cache, the clock and the log. */
export interface JwtVerifierDeps {
  readonly cache: TokenCache;
  readonly now: () => number;
  readonly logger: Logger;
  /** Deadline of one JWKS fetch. */
  readonly jwksTimeoutMs?: number;
}

/** The authorization server's key set of `jwt.jwksUrl`; a change of keys flushes the token cache. */
export function createKeySet(jwt: JwtConfig, deps: JwtVerifierDeps): RemoteKeySet {
  return new RemoteKeySet({
    url: jwt.jwksUrl,
    cooldownMs: jwt.jwksCooldownS * 1000,
    cacheMaxAgeMs: jwt.jwksCacheMaxAgeS * 1000,
    ...(deps.jwksTimeoutMs === undefined ? {} : { timeoutMs: deps.jwksTimeoutMs }),
    now: deps.now,
    logger: deps.logger,
    onChange: () => {
      deps.cache.clear();
    },
  });
}

/** The one way the server and the tests build the access-token verifier: `config.jwt` and its key set. */
export function createJwtVerifier(jwt: JwtConfig, keySet: RemoteKeySet, deps: JwtVerifierDeps): JwtVerifier {
  return new JwtVerifier({
    getKey: keySet.getKey,
    revalidateKeys: () => keySet.revalidate(),
    keysGeneration: () => keySet.generation,
    issuer: jwt.issuer,
    audience: jwt.audience,
    algorithms: jwt.algorithms,
    clockToleranceS: jwt.clockToleranceS,
    maxLifetimeS: jwt.maxLifetimeS,
    cache: deps.cache,
    now: deps.now,
  });
}
