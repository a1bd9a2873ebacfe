import Router from '@koa/router';
import type { Middleware } from 'koa';
import { ApiError } from './errors.js';
import { openApiDocument } from './openapi.js';

/** A dependency readiness depends on; `check` runs on every probe, so it must be cheap and bounded. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean>;
  /** What the probe shows of it (e.g. the active bundle's revision and whether it is signed). */
  report?(): unknown;
}

class NotReadyError extends ApiError {
  constructor(failing: readonly string[]) {
    super(503, 'not_ready', 'Not ready', {
      detail: `not ready: ${failing.join(', ')}`,
      extensions: { failing },
    });
  }
}

const live: Middleware = function live(ctx) {
  ctx.body = { status: 'ok' };
};

/**
 * `GET /health/live`, to mount before any rate limit: a liveness probe is never throttled, and it
 * reads nothing, so it costs nothing to answer.
 */
export const liveness = new Router().get('/health/live', live).routes();

/**
 * The unauthenticated routes, to mount behind the per-IP rate limit: readiness (which only reads
 * its checks' state) and the OpenAPI document. Liveness is listed too, so its other methods get 405.
 */
export function publicRoutes(checks: readonly ReadinessCheck[]): Router {
  const document = openApiDocument();

  const ready: Middleware = async function ready(ctx) {
    const results = await Promise.all(
      checks.map(async (item) => ({ name: item.name, ok: await item.check().catch(() => false) })),
    );
    const failing = results.filter((result) => !result.ok).map((result) => result.name);
    if (failing.length > 0) throw new NotReadyError(failing);
    const reports = checks.flatMap((item): [string, unknown][] =>
      item.report === undefined ? [] : [[item.name, item.report()]],
    );
    ctx.body = { status: 'ready', ...(reports.length === 0 ? {} : { checks: Object.fromEntries(reports) }) };
  };

  const openapi: Middleware = function openapi(ctx) {
    ctx.body = document;
  };

  return new Router().get('/health/live', live).get('/health/ready', ready).get('/openapi.json', openapi);
}
