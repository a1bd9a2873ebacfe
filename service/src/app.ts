import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import { authenticate, type AuthenticationObserver } from './auth/authenticate.js';
import type { JwtVerifier } from './auth/jwt-verifier.js';
import type { Authorizer } from './authz/decision.js';
import { auditRoutes } from './audit/routes.js';
import type { AuthorizedState, DenialRecorder } from './authz/authorize.js';
import { publicRoutes, type ReadinessCheck } from './health.js';
import { clientIp, TrustedProxies } from './http/client-ip.js';
import { cors } from './http/cors.js';
import { bodyLimit } from './http/json-body.js';
import { problemDetails } from './http/problem.js';
import { rateLimit } from './http/rate-limit.js';
import { requestId } from './http/request-id.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import type { RequestState } from './http/state.js';
import { transactionRoutes } from './transactions/routes.js';
import type { TransactionStore } from './transactions/store.js';

/** Everything the app is built from; `server.ts` makes the real ones, tests their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly store: TransactionStore;
  readonly authorizer: Authorizer;
  readonly verifier: JwtVerifier;
  readonly readiness: readonly ReadinessCheck[];
  readonly corsOrigins: readonly string[];
  readonly trustedProxies: readonly string[];
  readonly rateLimitPerMin: number;
  /** The clock of decisions and timestamps (ms); tests freeze it. */
  readonly now: () => number;
  readonly authObserver?: AuthenticationObserver;
  /** Called when an audit record of a refusal could not be written (metrics). */
  readonly onAuditFailure?: () => void;
}

/** Builds the Koa app: the middleware chain of ARCHITECTURE.md, then the routes. */
export function createApp(deps: AppDeps): Koa<RequestState> {
  const app = new Koa<RequestState>();
  const proxies = new TrustedProxies(deps.trustedProxies);
  const publicRouter = publicRoutes(deps.readiness);
  const guard: Middleware<AuthorizedState>[] = [
    authenticate(deps.verifier, deps.authObserver),
    rateLimit({
      name: 'client',
      pointsPerMinute: deps.rateLimitPerMin,
      key: (state) => (state.claims === undefined ? undefined : state.claims.client_id),
    }),
  ];
  const recordDenial: DenialRecorder = async (entry) => {
    try {
      await deps.store.appendAudit(entry);
    } catch (error) {
      deps.logger.error({ err: error, request_id: entry.request_id }, 'audit write failed');
      deps.onAuditFailure?.();
    }
  };
  const routeDeps = { store: deps.store, authorizer: deps.authorizer, now: deps.now, guard, recordDenial };
  const api = transactionRoutes(routeDeps);
  const audit = auditRoutes(routeDeps);

  app.silent = true;
  app
    .use(requestId)
    .use(clientIp(proxies))
    .use(requestLog(deps.logger))
    .use(securityHeaders((ctx) => proxies.isTls(ctx)))
    .use(problemDetails(deps.logger))
    .use(cors(deps.corsOrigins))
    .use(publicRouter.routes())
    .use(
      rateLimit({
        name: 'ip',
        pointsPerMinute: deps.rateLimitPerMin,
        key: (state) => state.clientIp,
      }),
    )
    .use(bodyLimit)
    .use(api.routes())
    .use(api.allowedMethods())
    .use(audit.routes())
    .use(audit.allowedMethods())
    .use(publicRouter.allowedMethods());
  return app;
}
