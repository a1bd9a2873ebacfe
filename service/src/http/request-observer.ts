import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
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

/** Methods the API has; any other (TRACE, made-up ones) is counted as `OTHER`, bounding the label. */
const METHOD_LABELS = new Set(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** The request-duration series by method, route template and status, each looked up once. */
function durationSeries(metrics: ServiceMetrics): (
  method: string,
  route: string,
  status: number,
) => {
  observe(seconds: number): void;
} {
  // Nested maps, so a lookup builds no key string (the labels are bounded).
  const series = new Map<string, Map<string, Map<number, { observe(seconds: number): void }>>>();
  return (method, route, status) => {
    let byRoute = series.get(method);
    if (byRoute === undefined) {
      byRoute = new Map<string, Map<number, { observe(seconds: number): void }>>();
      series.set(method, byRoute);
    }
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) {
      byStatus = new Map<number, { observe(seconds: number): void }>();
      byRoute.set(route, byStatus);
    }
    let child = byStatus.get(status);
    if (child === undefined) {
      child = metrics.requestDuration.labels(method, route, String(status));
      byStatus.set(status, child);
    }
    return child;
  };
}

/**
 * Observes every request once: one structured log line (request id, method, route template,
 * status, duration, client and subject, problem code) and the duration metric by method, route
 * template and status. Headers are never logged, so no token can reach the log; the line's fields
 * are these scalars only, none of which the logger's redaction paths name, so it is written by a
 * child logger that skips them.
 */
export function observeRequests(
  logger: Logger,
  metrics: ServiceMetrics,
  now: () => number = performance.now.bind(performance),
): Middleware<RequestState> {
  const lines = logger.child({}, { redact: [] });
  const duration = durationSeries(metrics);
  return async function observeRequests(ctx, next) {
    const started = now();
    try {
      await next();
    } finally {
      const elapsedMs = now() - started;
      const { status, method } = ctx;
      const route = routeTemplate(ctx);
      duration(METHOD_LABELS.has(method) ? method : 'OTHER', route, status).observe(elapsedMs / 1000);
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      // The line is built only when its level is logged (LOG_LEVEL=warn logs no 2xx line).
      if (lines.isLevelEnabled(level)) {
        const { requestId, claims, errorCode, clientIp } = ctx.state;
        const line = {
          request_id: requestId,
          method,
          route,
          status,
          duration_ms: Math.round(elapsedMs * 1000) / 1000,
          client_ip: clientIp,
          client_id: claims?.client_id,
          sub: claims?.sub,
          agent_id: claims?.agent?.id,
          error_code: errorCode,
        };
        lines[level](line, 'request');
      }
    }
  };
}
