import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { RequestState } from './state.js';

/** The route template of a matched request (never the raw path, which may carry ids). */
export function routeTemplate(ctx: { _matchedRoute?: string | RegExp }): string {
  return typeof ctx._matchedRoute === 'string' ? ctx._matchedRoute : 'unmatched';
}

/**
 * Writes one structured line per request: request id, method, route template, status, duration,
 * client and subject, problem code. Headers are never logged, so no token can reach the log.
 */
export function requestLog(
  logger: Logger,
  now: () => number = performance.now.bind(performance),
): Middleware<RequestState> {
  return async function requestLog(ctx, next) {
    const started = now();
    try {
      await next();
    } finally {
      const { requestId, claims, errorCode, clientIp } = ctx.state;
      const status = ctx.status;
      logger[status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'](
        {
          request_id: requestId,
          method: ctx.method,
          route: routeTemplate(ctx as { _matchedRoute?: string | RegExp }),
          status,
          duration_ms: Math.round((now() - started) * 1000) / 1000,
          client_ip: clientIp,
          client_id: claims?.client_id,
          sub: claims?.sub,
          agent_id: claims?.agent?.id,
          error_code: errorCode,
        },
        'request',
      );
    }
  };
}
