import type { Middleware } from 'koa';
import {
  AuthorizationServerUnavailableError,
  InvalidAuthorizationRequestError,
  InvalidTokenError,
  MissingCredentialsError,
} from '../errors.js';
import type { RequestState } from '../http/state.js';
import { extractBearerToken } from './bearer.js';
import type { JwtVerifier } from './jwt-verifier.js';

/** Observes authentication outcomes (metrics); optional. */
export interface AuthenticationObserver {
  onVerified?(cached: boolean): void;
  /** `reason` is bounded: missing_token, malformed_request, jwks_unavailable, or the token's reason. */
  onFailure?(reason: string): void;
}

/** The bounded metrics reason of an authentication failure. */
export function failureReason(error: unknown): string {
  if (error instanceof InvalidTokenError) return error.reason;
  if (error instanceof MissingCredentialsError) return 'missing_token';
  if (error instanceof InvalidAuthorizationRequestError) return 'malformed_request';
  if (error instanceof AuthorizationServerUnavailableError) return 'jwks_unavailable';
  return 'internal_error';
}

/** Requires a valid bearer access token and puts its verified claims into `ctx.state.claims`. */
export function authenticate(
  verifier: JwtVerifier,
  observer: AuthenticationObserver = {},
): Middleware<RequestState> {
  return async function authenticate(ctx, next) {
    let verified;
    try {
      verified = await verifier.verify(extractBearerToken(ctx.req));
    } catch (error) {
      observer.onFailure?.(failureReason(error));
      throw error;
    }
    observer.onVerified?.(verified.cached);
    ctx.state.claims = verified.claims;
    await next();
  };
}
