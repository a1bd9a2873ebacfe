import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import { accountRoutes } from './accounts/routes.js';
import { auditEntry } from './audit/audit-entry.js';
import { auditRoutes } from './audit/routes.js';
import { authenticate } from './auth/authenticate.js';
import type { JwtVerifier } from './auth/jwt-verifier.js';
import type { AuthorizeDeps, AuthorizedState, RefusalRecorder } from './authz/authorize.js';
import type { ResourceMetadataConfig } from './config.js';
import type { Authorizer } from './authz/decision.js';
import { liveness, publicRoutes, type ReadinessCheck } from './health.js';
import { clientIp, TrustedProxies } from './http/client-ip.js';
import { cors } from './http/cors.js';
import { bodyLimit } from './http/json-body.js';
import { problemDetails } from './http/problem.js';
import { addProtectedResourceRoute, challengeResourceMetadata } from './http/protected-resource.js';
import { rateLimit } from './http/rate-limit.js';
import { memoryRateLimits, type RateLimitStore } from './http/rate-limit-store.js';
import { requestId } from './http/request-id.js';
import { observeRequests } from './http/request-observer.js';
import { securityHeaders } from './http/security-headers.js';
import type { RequestState } from './http/state.js';
import { ServiceMetrics } from './metrics/service-metrics.js';
import type { Store } from './store/store.js';
import { transactionRoutes } from './transactions/routes.js';

/** Everything the app is built from; `server.ts` makes the real ones, tests their own. */
export interface AppDeps {
  readonly logger: Logger;
  /** Opened with its audit hooks (the audit-failure metric, the checkpointer) by whoever builds the app. */
  readonly store: Store;
  readonly authorizer: Authorizer;
  readonly verifier: JwtVerifier;
  readonly readiness: readonly ReadinessCheck[];
  readonly corsOrigins: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly rateLimitPerMin: number;
  /** Where rate-limit counters live (`openRateLimitStore`); this process's memory when not given. */
  readonly rateLimits?: RateLimitStore;
  /** RFC 9728 metadata (RESOURCE_URL): served, and named in every Bearer challenge, when given. */
  readonly resource?: ResourceMetadataConfig;
  /** The clock of decisions and timestamps (ms); tests freeze it. */
  readonly now: () => number;
  /** Where the app counts what it does; a fresh registry when not given. */
  readonly metrics?: ServiceMetrics;
}

/** Builds the Koa app: the middleware chain of ARCHITECTURE.md, then the routes. */
export function createApp(deps: AppDeps): Koa<RequestState> {
  const app = new Koa<RequestState>();
  const metrics = deps.metrics ?? new ServiceMetrics();
  const proxies = new TrustedProxies(deps.trustedProxies);
  const publicRouter = publicRoutes(deps.readiness);
  if (deps.resource !== undefined) addProtectedResourceRoute(publicRouter, deps.resource);
  const rateLimits = deps.rateLimits ?? memoryRateLimits();
  const onLimited = (limiter: string): void => {
    metrics.rateLimited.inc({ limiter });
  };
  const guard: Middleware<AuthorizedState>[] = [
    authenticate(deps.verifier, {
      onVerified: (cached) => {
        metrics.countTokenLookup(cached);
      },
      onFailure: (reason) => {
        metrics.authenticationFailures.inc({ reason });
      },
    }),
    rateLimit({
      name: 'client',
      pointsPerMinute: deps.rateLimitPerMin,
      store: rateLimits,
      // A user's requests through an app count for that user; a service client's for the client.
      key: (state) =>
        state.claims === undefined
          ? undefined
          : state.claims.sub === state.claims.client_id
            ? state.claims.client_id
            : `${state.claims.client_id}\u0000${state.claims.sub}`,
      onLimited,
    }),
  ];
  // A refusal stands even when its audit record cannot be written; the failure is counted and logged.
  const recordRefusal: RefusalRecorder = async (state, refusal) => {
    try {
      await deps.store.appendAudit(auditEntry(state, deps.now(), refusal));
    } catch (error) {
      deps.logger.error({ err: error, request_id: state.requestId }, 'audit write failed');
    }
  };
  const authorizeDeps: AuthorizeDeps = {
    authorizer: deps.authorizer,
    now: deps.now,
    recordRefusal,
    onDecision: (action, outcome, reason) => {
      metrics.countDecision(action, outcome, reason);
    },
  };
  const api = transactionRoutes({ ...authorizeDeps, store: deps.store, guard });
  const accounts = accountRoutes({ ...authorizeDeps, store: deps.store, guard });
  const audit = auditRoutes({ ...authorizeDeps, store: deps.store, guard });

  app.silent = true;
  app
    .use(requestId)
    .use(clientIp(proxies))
    .use(observeRequests(deps.logger, metrics))
    .use(securityHeaders((ctx) => proxies.isTls(ctx)))
    .use(challengeResourceMetadata(deps.resource))
    .use(problemDetails(deps.logger))
    .use(cors(deps.corsOrigins))
    .use(liveness)
    .use(
      rateLimit({
        name: 'ip',
        pointsPerMinute: deps.rateLimitPerMin,
        store: rateLimits,
        key: (state) => state.clientIp,
        onLimited,
      }),
    )
    .use(publicRouter.routes())
    .use(bodyLimit)
    .use(api.routes())
    .use(api.allowedMethods())
    .use(accounts.routes())
    .use(accounts.allowedMethods())
    .use(audit.routes())
    .use(audit.allowedMethods())
    .use(publicRouter.allowedMethods());
  return app;
}
