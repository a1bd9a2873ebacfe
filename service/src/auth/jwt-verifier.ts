import { errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ApiError, InvalidTokenError } from '../errors.js';
import { claimTypeProblem, REQUIRED_CLAIMS, type AccessTokenClaims } from './claims.js';
import { assertCanonicalJws } from './jws-segments.js';
import { TokenCache } from './token-cache.js';

/** What a JwtVerifier checks; times in seconds. */
export interface JwtVerifierOptions {
  readonly getKey: JWTVerifyGetKey;
  /**
   * Runs before each cache lookup: refreshes a stale key set, whose change flushes the cache; gives
   * nothing to wait for while the keys are fresh.
   */
  readonly revalidateKeys?: () => Promise<unknown> | undefined;
  /** The key set's generation; a token verified across a key-set change is not cached. */
  readonly keysGeneration?: () => number;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceS: number;
  readonly maxLifetimeS: number;
  readonly cache: TokenCache;
  /** The current time in milliseconds; tests freeze it. */
  readonly now: () => number;
}

/** The outcome of a verification, for metrics. */
export interface VerifiedToken {
  readonly claims: AccessTokenClaims;
  readonly cached: boolean;
}

/** RFC 9068 access tokens carry this `typ`; jose compares it with or without `application/`. */
const ACCESS_TOKEN_TYP = 'at+jwt';

/** A safe, stable description and a bounded reason for jose's errors (no token content). */
function describe(error: unknown): [description: string, reason: string] {
  if (error instanceof joseErrors.JWTExpired) return ['the token has expired', 'expired'];
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'typ') return ['the token typ header must be at+jwt (RFC 9068)', 'typ'];
    if (error.reason === 'missing') return [`the ${error.claim} claim is missing`, 'claims'];
    if (error.claim === 'nbf') return ['the token is not valid yet (nbf)', 'not_yet_valid'];
    if (error.claim === 'iat') return ['the token was issued in the future (iat)', 'not_yet_valid'];
    return [`the ${error.claim} claim is not accepted`, 'claims'];
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return ['the token signing algorithm is not allowed', 'algorithm'];
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return ['the token signature is invalid', 'signature'];
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return ['no signing key of the authorization server matches the token', 'unknown_key'];
  }
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return ['no signing key of the authorization server verifies the token', 'signature'];
  }
  if (error instanceof joseErrors.JOSENotSupported) {
    return ['the token uses an unsupported algorithm or critical header', 'unsupported'];
  }
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid)
    return ['the token is malformed', 'malformed'];
  return ['the token is invalid', 'invalid'];
}

/**
 * Verifies JWT access tokens as RFC 9068 and RFC 8725 ask: signature by a key of the issuer's key
 * set, algorithm allow-list, `typ`, `iss`, `aud`, time claims with a tolerance, the required claims
 * and a maximum lifetime. Verified tokens are cached until they expire.
 */
export class JwtVerifier {
  constructor(private readonly options: JwtVerifierOptions) {}

  /** Verifies a compact JWS; throws InvalidTokenError (401) or the key set's 503 error. */
  async verify(token: string): Promise<VerifiedToken> {
    const { cache, now, revalidateKeys, keysGeneration } = this.options;
    const revalidating = revalidateKeys?.();
    if (revalidating !== undefined) await revalidating;
    const key = TokenCache.keyOf(token);
    const cached = cache.get(key, now());
    // A hit is the very string a miss checked below (its SHA-256), so it is canonical already.
    if (cached !== undefined) return { claims: cached, cached: true };
    // Before verifying and caching: only the one canonical spelling of a token is ever accepted.
    assertCanonicalJws(token);
    const generation = keysGeneration?.();
    const claims = await this.#verify(token);
    if (keysGeneration?.() === generation) cache.set(key, claims, claims.exp * 1000);
    return { claims, cached: false };
  }

  async #verify(token: string): Promise<AccessTokenClaims> {
    const { getKey, issuer, audience, algorithms, clockToleranceS, maxLifetimeS, now } = this.options;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms: [...algorithms],
        issuer,
        audience,
        typ: ACCESS_TOKEN_TYP,
        clockTolerance: clockToleranceS,
        requiredClaims: Object.keys(REQUIRED_CLAIMS),
        currentDate: new Date(now()),
      }));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      const [description, reason] = describe(error);
      throw new InvalidTokenError(description, reason, error);
    }
    const problem = claimTypeProblem(payload);
    if (problem !== undefined)
      throw new InvalidTokenError(`the token claims are malformed: ${problem.replaceAll('"', '')}`, 'claims');
    const claims = payload as unknown as AccessTokenClaims;
    const nowS = now() / 1000;
    if (claims.iat > nowS + clockToleranceS)
      throw new InvalidTokenError('the token was issued in the future (iat)', 'not_yet_valid');
    if (claims.auth_time !== undefined && claims.auth_time > claims.iat + clockToleranceS)
      throw new InvalidTokenError('the user authenticated after the token was issued (auth_time)', 'claims');
    if (claims.exp - claims.iat > maxLifetimeS) {
      throw new InvalidTokenError(`the token lifetime exceeds ${maxLifetimeS} seconds`, 'lifetime');
    }
    return claims;
  }
}
