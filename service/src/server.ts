import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { createApp } from './app.js';
import { AuditCheckpointer } from './audit/checkpointer.js';
import { createJwtVerifier, createKeySet } from './auth/create-jwt-verifier.js';
import { TokenCache } from './auth/token-cache.js';
import type { Authorizer } from './authz/decision.js';
import { startEmbeddedPdp, type EmbeddedPdp } from './authz/embedded-pdp.js';
import { SidecarAuthorizer } from './authz/sidecar-authorizer.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openRateLimitStore } from './http/rate-limit-store.js';
import { answerUnknownMethods } from './http/unknown-methods.js';
import { createLogger } from './logger.js';
import { adminServer } from './metrics/admin-server.js';
import { ServiceMetrics } from './metrics/service-metrics.js';
import { connectStore } from './store/open-store.js';

/** How long in-flight requests may take to finish after SIGTERM. */
const SHUTDOWN_GRACE_MS = 10_000;

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`verdict: configuration error: ${error.message}\n`);
    process.exit(2);
  }
}

/** Reads the configuration, builds the app from real parts and listens until SIGTERM. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.logLevel);
  const now = Date.now;
  const metrics = new ServiceMetrics(true);
  const checkpointer = AuditCheckpointer.create({
    file: config.audit.checkpointFile,
    now,
    onCheckpoint: (checkpoint, atMs) => {
      metrics.observeCheckpoint(checkpoint.seq, atMs);
    },
    onError: (error) => {
      metrics.auditCheckpointFailures.inc();
      logger.error({ err: error, file: config.audit.checkpointFile }, 'audit checkpoint write failed');
    },
  });
  const { store, keyFile, keyCreated } = await connectStore(
    config.store.databaseUrl,
    config.audit.hmacKeyFile,
    {
      now,
      onAuditFailure: () => {
        metrics.auditWriteFailures.inc();
      },
      onAuditAppended: (log) => {
        checkpointer.notify(log);
      },
    },
  );
  if (config.audit.hmacKeyFile === undefined) {
    logger.warn(
      { key_file: keyFile, created: keyCreated },
      'audit chain uses a development key; set AUDIT_HMAC_KEY_FILE in production',
    );
  }
  const jwtDeps = { cache: new TokenCache(), now, logger };
  const keySet = createKeySet(config.jwt, jwtDeps);
  const verifier = createJwtVerifier(config.jwt, keySet, jwtDeps);
  let authorizer: Authorizer;
  let embedded: EmbeddedPdp | undefined;
  if (config.bundle !== undefined) {
    embedded = await startEmbeddedPdp(config.bundle, logger);
    authorizer = embedded.authorizer;
  } else {
    authorizer = new SidecarAuthorizer({
      url: config.pdp.url,
      timeoutMs: config.pdp.timeoutMs,
      queueTimeoutMs: config.pdp.queueTimeoutMs,
      now,
      onCall: (path, outcome, seconds) => {
        metrics.observePdp(path, outcome, seconds);
      },
    });
    logger.info({ pdp_mode: 'sidecar', pdp_url: config.pdp.url }, 'policy decisions by the sidecar');
  }
  const rateLimits = openRateLimitStore(config.limits, { logger, now, metrics });
  const app = createApp({
    logger,
    store,
    authorizer,
    verifier,
    readiness: [
      { name: 'database', check: () => store.ping().then(() => true) },
      { name: 'signing_keys', check: async () => keySet.ready || (await keySet.refresh()) },
      { name: 'authorization', check: () => Promise.resolve(authorizer.ready()) },
      ...(embedded === undefined ? [] : [embedded.readiness]),
    ],
    corsOrigins: config.http.corsOrigins,
    trustedProxies: config.http.trustedProxies,
    ...(config.resource === undefined ? {} : { resource: config.resource }),
    rateLimitPerMin: config.limits.rateLimitPerMin,
    rateLimits,
    now,
    metrics,
  });
  // Embedded mode: the engine's own metrics (bundle, decisions, decision log) beside the service's.
  const admin = adminServer(
    embedded === undefined
      ? metrics.registry
      : Registry.merge([metrics.registry, embedded.engine.metrics.registry]),
  );

  const handle = app.callback();
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      void handle(req, res);
    },
  );
  answerUnknownMethods(server, handle);
  await keySet.refresh();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.http.port, config.http.host, resolve);
  });
  await new Promise<void>((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(config.http.adminPort, config.http.host, resolve);
  });
  const address = server.address();
  logger.info(
    { address, admin: admin.address(), database: config.store.databaseUrl.split(':')[0] },
    'verdict service listening',
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('grace period over: closing remaining connections');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // Connections that finish their request during the grace period are closed as they go idle.
    const reap = setInterval(() => {
      server.closeIdleConnections();
    }, 100);
    reap.unref();
    admin.close();
    server.close(() => {
      clearInterval(reap);
      void checkpointer
        .close()
        .catch((error: unknown) => {
          metrics.auditCheckpointFailures.inc();
          logger.error({ err: error, file: config.audit.checkpointFile }, 'final audit checkpoint failed');
        })
        .then(() => embedded?.engine.close())
        .then(() => rateLimits.close())
        .then(() => store.close())
        .then(() => {
          logger.info('stopped');
          process.exit(0);
        });
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `verdict: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
