import type { Middleware } from 'koa';
import type { RequestState } from '../http/state.js';
import { extractBearerToken } from './bearer.js';
import type { JwtVerifier } from './jwt-verifier.js';

/** Observes authentication outcomes (metrics); optional. */
export interface AuthenticationObserver {
  onVerified?(cached: boolean): void;
  onFailure?(code: string): void;
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
      observer.onFailure?.((error as { code?: string }).code ?? 'internal_error');
      throw error;
    }
    observer.onVerified?.(verified.cached);
    ctx.state.claims = verified.claims;
    await next();
  };
}
