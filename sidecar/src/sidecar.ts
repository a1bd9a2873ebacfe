import { createServer, type Server } from 'node:http';
import { lstat, unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import type { BundleManager } from './bundle/bundle-manager.js';
import type { FileBundleSource } from './bundle/file-source.js';
import type { HttpBundleSource } from './bundle/http-source.js';
import type { SidecarConfig } from './config.js';
import { createConsole, type PolicyConsole } from './console/console.js';
import { SIDECAR_VERSION, type DecisionLogger } from './decision-log/decision-logger.js';
import { silentLogger } from './logger.js';
import { SidecarMetrics } from './metrics.js';
import { announceStart, startPolicyEngine, type PolicyEngineOptions } from './policy-engine.js';
import type { ShadowEvaluator } from './shadow/shadow-evaluator.js';

/** What can be swapped when starting a sidecar (tests; `main.ts` passes only the logger). */
export interface StartOptions extends Omit<PolicyEngineOptions, 'metrics'> {
  /** Process metrics (CPU, memory, event loop) in `/metrics`; off by default so tests stay light. */
  readonly defaultMetrics?: boolean;
  readonly maxBodyBytes?: number;
}

/** A started sidecar and its parts. */
export interface RunningSidecar {
  /** `http://127.0.0.1:<port>` or `unix:<path>`, as the service's `PDP_URL` takes it. */
  readonly url: string;
  readonly server: Server;
  readonly manager: BundleManager;
  readonly metrics: SidecarMetrics;
  readonly decisionLogger: DecisionLogger;
  /** The shadow bundle's evaluator when SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL is set. */
  readonly shadow: ShadowEvaluator | undefined;
  readonly source: FileBundleSource | HttpBundleSource;
  /** The policy console when `CONSOLE=on` (its key for the start-up line), else undefined. */
  readonly console: PolicyConsole | undefined;
  /** Stops taking requests, lets in-flight ones finish (at most `graceMs`), stops polling, flushes logs. */
  close(graceMs?: number): Promise<void>;
}

async function removeStaleSocket(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // Nothing there: nothing to remove.
  }
}

function listen(server: Server, config: SidecarConfig): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      if (config.socketPath !== undefined) {
        resolve(`unix:${config.socketPath}`);
        return;
      }
      const { address, port } = server.address() as AddressInfo;
      resolve(`http://${address.includes(':') ? `[${address}]` : address}:${port}`);
    };
    if (config.socketPath === undefined) server.listen(config.port, config.host, done);
    else server.listen(config.socketPath, done);
  });
}

/**
 * Starts the sidecar of `config`: metrics, decision logger, bundle manager (with signature checks when
 * keys are configured), the HTTP server, then the bundle source's first load. Without keys the
 * start-up line is a warning and bundles are reported `signed: false`. Resolves once the first
 * load has been tried; until a bundle is active every decision is refused (`503`).
 */
export async function startSidecar(
  config: SidecarConfig,
  options: StartOptions = {},
): Promise<RunningSidecar> {
  const logger = options.logger ?? silentLogger;
  const metrics = new SidecarMetrics({ defaultMetrics: options.defaultMetrics ?? false });
  const engine = await startPolicyEngine(config, { ...options, logger, metrics });
  const { manager, decisionLogger, shadow } = engine;
  const { source } = manager;
  if (source === undefined) throw new Error('the bundle manager has no source');

  const policyConsole = config.console ? createConsole({ manager, decisionLogger, shadow }) : undefined;
  const server = createServer(
    createApp({
      manager,
      metrics,
      logger,
      version: SIDECAR_VERSION,
      batchMaxInputs: config.batchMaxInputs,
      shadow,
      console: policyConsole,
      ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    }),
  );
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  if (config.socketPath !== undefined) await removeStaleSocket(config.socketPath);
  const url = await listen(server, config);

  announceStart(logger, engine, { url, bundle_source: config.bundle.kind }, 'sidecar listening');

  return {
    url,
    server,
    manager,
    metrics,
    decisionLogger,
    shadow,
    source,
    console: policyConsole,
    async close(graceMs = 5_000) {
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      const force = setTimeout(() => {
        server.closeAllConnections();
      }, graceMs);
      await closed;
      clearTimeout(force);
      policyConsole?.close();
      await engine.close();
    },
  };
}
