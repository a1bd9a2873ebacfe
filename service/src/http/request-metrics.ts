import type { Middleware } from 'koa';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { routeTemplate } from './request-log.js';

/** Methods the API has; any other (TRACE, made-up ones) is counted as `OTHER`, bounding the label. */
const METHOD_LABELS = new Set(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Observes every request's duration by method, route template and status. */
export function requestMetrics(metrics: ServiceMetrics): Middleware {
  return async function requestMetrics(ctx, next) {
    const end = metrics.requestDuration.startTimer();
    try {
      await next();
    } finally {
      end({
        method: METHOD_LABELS.has(ctx.method) ? ctx.method : 'OTHER',
        route: routeTemplate(ctx),
        status: String(ctx.status),
      });
    }
  };
}
