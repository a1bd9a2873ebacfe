import type { Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, InternalError, MethodNotAllowedError, NotFoundError } from '../errors.js';
import type { RequestState } from './state.js';

/** Each problem's `type` is this URN followed by its code (stable, not dereferenceable). */
export const PROBLEM_TYPE_BASE = 'urn:verdict:problem:';

function toApiError(error: unknown, logger: Logger, requestId: string): ApiError {
  if (error instanceof ApiError) {
    // A 5xx the API expects (PDP or key set down) still has a cause ops need to see.
    if (error.status >= 500 && error.cause !== undefined) {
      const cause =
        error.cause instanceof Error
          ? error.cause.message
          : typeof error.cause === 'string'
            ? error.cause
            : 'unknown';
      logger.warn({ request_id: requestId, code: error.code, cause }, 'dependency failure');
    }
    return error;
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 404) return new NotFoundError();
  const errorId = randomUUID();
  logger.error({ err: error, error_id: errorId, request_id: requestId }, 'unexpected error');
  return new InternalError(errorId, error);
}

/**
 * Turns every error into an RFC 9457 `application/problem+json` response with its challenge
 * headers. Unknown errors become 500 with an error id; their detail goes to the log only.
 */
export function problemDetails(logger: Logger): Middleware<RequestState> {
  return async function problemDetails(ctx, next) {
    try {
      await next();
      if (ctx.body === undefined || ctx.body === null) {
        if (ctx.status === 404) throw new NotFoundError();
        // The router answers a method it does not implement (TRACE, CONNECT, FOO) with 501: for a
        // path it has that is a 405 like any other method the path lacks; for a path it lacks, a 404.
        if (ctx.status === 405 || ctx.status === 501) {
          const allowed = ctx.response.get('Allow').split(/,\s*/).filter(Boolean);
          if (allowed.length > 0) throw new MethodNotAllowedError(allowed);
          ctx.remove('Allow');
          throw new NotFoundError();
        }
      }
    } catch (thrown) {
      const error = toApiError(thrown, logger, ctx.state.requestId);
      ctx.state.errorCode = error.code;
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.type = 'application/problem+json';
      ctx.body = {
        type: `${PROBLEM_TYPE_BASE}${error.code}`,
        title: error.title,
        status: error.status,
        ...(error.detail === undefined ? {} : { detail: error.detail }),
        code: error.code,
        request_id: ctx.state.requestId,
        ...error.extensions,
      };
    }
  };
}
