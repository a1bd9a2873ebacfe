import type { Middleware } from 'koa';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { routeTemplate } from './request-log.js';

/** Observes every request's duration by method, route template and status. */
export function requestMetrics(metrics: ServiceMetrics): Middleware {
  return async function requestMetrics(ctx, next) {
    const end = metrics.requestDuration.startTimer();
    try {
      await next();
    } finally {
      end({
        method: ctx.method,
        route: routeTemplate(ctx as { _matchedRoute?: string | RegExp }),
        status: String(ctx.status),
      });
    }
  };
}
