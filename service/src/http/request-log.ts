import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { RequestState } from './state.js';

/** What the router leaves on a context: the layers the path matched, and the last one entered. */
export interface RoutedContext {
  readonly method: string;
  readonly matched?: readonly { readonly path: string | RegExp; readonly methods: readonly string[] }[];
  readonly _matchedRoute?: string | RegExp;
}

/**
 * The route template of a matched request (never the raw path, which may carry ids): the route the
 * method and path matched, even when a router-wide middleware (the guard) refused it before the
 * route's own middleware ran.
 */
export function routeTemplate(ctx: RoutedContext): string {
  const route =
    ctx.matched?.findLast((layer) => layer.methods.includes(ctx.method))?.path ?? ctx._matchedRoute;
  return typeof route === 'string' ? route : 'unmatched';
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
          route: routeTemplate(ctx as RoutedContext),
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
