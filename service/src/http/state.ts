import type { AccessTokenClaims } from '../auth/claims.js';

/** What the middleware chain learns about a request, in `ctx.state`. */
export interface RequestState {
  requestId: string;
  clientIp: string;
  /** The verified token's claims, once authenticated. */
  claims?: AccessTokenClaims;
  /** The problem code of the error answered, for the request log. */
  errorCode?: string;
  /** The parsed JSON body, once read. */
  body?: unknown;
}
