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
  const series = new Map<string, { observe(seconds: number): void }>();
  return (method, route, status) => {
    const key = `${method} ${route} ${status}`;
    let child = series.get(key);
    if (child === undefined) {
      child = metrics.requestDuration.labels(method, route, String(status));
      series.set(key, child);
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
      const { requestId, claims, errorCode, clientIp } = ctx.state;
      const { status, method } = ctx;
      const route = routeTemplate(ctx);
      duration(METHOD_LABELS.has(method) ? method : 'OTHER', route, status).observe(elapsedMs / 1000);
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
      if (status >= 500) lines.error(line, 'request');
      else if (status >= 400) lines.warn(line, 'request');
      else lines.info(line, 'request');
    }
  };
}
