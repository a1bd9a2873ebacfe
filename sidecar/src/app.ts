import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { BundleManager } from './bundle/bundle-manager.js';
import { isConsolePath, type PolicyConsole } from './console/console.js';
import { DataApi } from './http/data-api.js';
import { health } from './http/health.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/json-body.js';
import { metricsRoute } from './http/metrics-route.js';
import { OpaHttpError } from './http/opa-error.js';
import { booleanParam, type Reply, type RouteHandler } from './http/reply.js';
import { silentLogger, type Logger } from './logger.js';
import type { SidecarMetrics } from './metrics.js';
import type { ShadowEvaluator } from './shadow/shadow-evaluator.js';

/** What the HTTP app is built from. */
export interface AppDependencies {
  readonly manager: BundleManager;
  readonly metrics: SidecarMetrics;
  readonly logger?: Logger;
  /** Request body limit in bytes (default 1 MiB); beyond it `413`. */
  readonly maxBodyBytes?: number;
  /** Reported as `provenance.version`. */
  readonly version: string;
  /** Most inputs in one batch request (`BATCH_MAX_INPUTS`); beyond it `413`. */
  readonly batchMaxInputs: number;
  /** The shadow bundle's evaluator, shown by `/health?bundles` (its evaluations hang off the engine's hook). */
  readonly shadow?: ShadowEvaluator | undefined;
  /** The policy console (`CONSOLE=on`), answering everything under `/console/`. */
  readonly console?: PolicyConsole | undefined;
}

interface Route {
  readonly method: readonly string[];
  /** Exact path, or a prefix ending in `/` whose remainder is the route's `rest`. */
  readonly path: string;
  readonly handler: RouteHandler;
}

function matches(route: Route, pathname: string): string | undefined {
  if (route.path.endsWith('/')) {
    const bare = route.path.slice(0, -1);
    if (pathname === bare) return '';
    return pathname.startsWith(route.path) ? pathname.slice(route.path.length) : undefined;
  }
  return pathname === route.path ? '' : undefined;
}

function decodePath(rest: string): string {
  try {
    return decodeURIComponent(rest).replace(/^\/+|\/+$/g, '');
  } catch {
    throw new OpaHttpError(400, 'invalid_parameter', 'the path is not valid percent-encoding');
  }
}

/**
 * Writes `reply` with its `content-length`, so the header and the body leave in one write (a
 * `writeHead` without a length would send the body chunked, in pieces).
 */
function send(response: ServerResponse, reply: Reply, pretty: boolean): void {
  const content =
    reply.text !== undefined
      ? reply.text.content
      : `${pretty ? JSON.stringify(reply.body, null, 2) : JSON.stringify(reply.body)}\n`;
  const headers: Record<string, string | number> = {
    ...reply.headers,
    'content-type': reply.text === undefined ? 'application/json' : reply.text.contentType,
    'content-length': Buffer.byteLength(content),
  };
  response.writeHead(reply.status, headers);
  response.end(content);
}

/**
 * The sidecar's HTTP app as a plain `node:http` listener: OPA's Data API, the batch API, `/health` and
 * `/metrics`, as a table of named routes. Handlers throw {@link OpaHttpError}; anything else is a `500
 * internal_error` whose detail goes to the log only.
 */
export function createApp(deps: AppDependencies): RequestListener {
  const logger = deps.logger ?? silentLogger;
  const data = new DataApi({
    manager: deps.manager,
    metrics: deps.metrics,
    maxBodyBytes: deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    batchMaxInputs: deps.batchMaxInputs,
    version: deps.version,
  });
  const routes: readonly Route[] = [
    { method: ['POST', 'GET'], path: '/v1/data/', handler: data.evaluate.bind(data) },
    { method: ['POST'], path: '/v1/batch/data/', handler: data.evaluateBatch.bind(data) },
    { method: ['GET'], path: '/health', handler: health(deps.manager, deps.shadow) },
    { method: ['GET'], path: '/metrics', handler: metricsRoute(deps.metrics.registry) },
  ];

  async function handle(request: IncomingMessage, url: URL): Promise<Reply> {
    for (const route of routes) {
      const rest = matches(route, url.pathname);
      if (rest === undefined) continue;
      if (!route.method.includes(request.method ?? '')) {
        throw new OpaHttpError(405, 'method_not_allowed', `${request.method ?? ''} is not allowed here`, [], {
          allow: route.method.join(', '),
        });
      }
      return route.handler({ request, url, rest: decodePath(rest) });
    }
    throw new OpaHttpError(404, 'resource_not_found', `${url.pathname} not found`);
  }

  const policyConsole = deps.console;
  return function sidecarRequest(request: IncomingMessage, response: ServerResponse): void {
    if (policyConsole !== undefined && isConsolePath(request.url)) {
      policyConsole.handle(request, response).catch((error: unknown) => {
        logger.error({ err: String(error) }, 'console response failed');
        response.destroy();
      });
      return;
    }
    const started = performance.now();
    const url = new URL(request.url ?? '/', 'http://sidecar');
    const pretty = booleanParam(url, 'pretty');
    handle(request, url)
      .catch((error: unknown): Reply => {
        if (error instanceof OpaHttpError)
          return { status: error.status, body: error.toJSON(), headers: error.headers };
        logger.error({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
        return { status: 500, body: { code: 'internal_error', message: 'internal error' } };
      })
      .then((reply) => {
        send(response, reply, pretty);
        logger.debug(
          {
            method: request.method,
            path: url.pathname,
            status: reply.status,
            ms: Math.round((performance.now() - started) * 1000) / 1000,
          },
          'request',
        );
      })
      .catch((error: unknown) => {
        logger.error({ err: String(error) }, 'response failed');
        response.destroy();
      });
  };
}
