import { BundleManager, DEFAULT_BUNDLE_NAME } from './bundle/bundle-manager.js';
import type { PolicyEngineConfig } from './config.js';

export { loadPolicyEngineConfig, type PolicyEngineConfig } from './config.js';
export type { BundleRefusal, BundleStatus, BundleSwap } from './bundle/bundle-manager.js';
import {
  createDecisionLogSinks,
  DecisionLogger,
  type DecisionLogSink,
  type DropListener,
} from './decision-log/decision-logger.js';
import type { DecisionListener } from './engine.js';
import { silentLogger, type Logger } from './logger.js';
import { SidecarMetrics } from './metrics.js';
import { ShadowEvaluator } from './shadow/shadow-evaluator.js';

export type { ShadowStatus, SideBySide, BundleEvaluation } from './shadow/shadow-evaluator.js';
export { ShadowEvaluator } from './shadow/shadow-evaluator.js';

/** What can be swapped when starting a policy engine. */
export interface PolicyEngineOptions {
  readonly logger?: Logger;
  /** Where the engine's metrics go; a fresh registry when not given. */
  readonly metrics?: SidecarMetrics;
  /** Replaces the sinks `DECISION_LOG` / `DECISION_LOG_URL` would give; `onDrop` feeds the metrics. */
  readonly decisionLogSinks?: (onDrop: DropListener) => readonly DecisionLogSink[];
  /** Quiet time after a bundle file event before it is read (default 100 ms). */
  readonly fileDebounceMs?: number;
  /** Jitter source of the URL poller. */
  readonly random?: () => number;
}

/** A running policy engine: the active bundle, its decision log and its metrics. */
export interface RunningPolicyEngine {
  readonly manager: BundleManager;
  readonly decisionLogger: DecisionLogger;
  readonly metrics: SidecarMetrics;
  /** The shadow bundle's evaluator when SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL is set. */
  readonly shadow: ShadowEvaluator | undefined;
  /** Stops watching or polling the bundle sources and flushes the decision log. */
  close(): Promise<void>;
}

/**
 * The one engine path of both PDP modes: a `BundleManager` over `config.bundle` (signatures verified
 * when `BUNDLE_PUBLIC_KEYS` is set, hot reload with last-known-good), every decision logged
 * (masked) and counted. The sidecar serves it over the Data API; the service in embedded mode asks it
 * in-process. With a shadow bundle configured, a sample of those decisions is evaluated again on
 * it after the answer ({@link ShadowEvaluator}); it never changes one. Resolves once the first load
 * of each bundle has been tried; {@link announceStart} writes the start-up line.
 */
export async function startPolicyEngine(
  config: PolicyEngineConfig,
  options: PolicyEngineOptions = {},
): Promise<RunningPolicyEngine> {
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? new SidecarMetrics();
  const onDrop = (sink: string, count: number): void => {
    metrics.decisionLogsDropped.inc({ sink }, count);
  };
  const sinks =
    options.decisionLogSinks?.(onDrop) ??
    createDecisionLogSinks({
      target: config.decisionLog,
      url: config.decisionLogUrl,
      onDrop,
      onUploadError: (error) => {
        logger.warn({ error: error.message }, 'decision-log upload failed');
      },
    });
  const decisionLogger = new DecisionLogger({
    sinks,
    mask: config.decisionLogMask,
    bundleName: DEFAULT_BUNDLE_NAME,
    onDrop,
  });
  let shadow: ShadowEvaluator | undefined;
  const onDecision: DecisionListener =
    config.shadow === undefined
      ? decisionLogger.listener
      : (record) => {
          decisionLogger.log(record);
          shadow?.offer(record);
        };
  const manager = await BundleManager.fromConfig(config, {
    logger,
    metrics,
    engineOptions: { onDecision },
    ...(options.fileDebounceMs === undefined ? {} : { fileDebounceMs: options.fileDebounceMs }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  if (config.shadow !== undefined) {
    shadow = await ShadowEvaluator.fromConfig(config, config.shadow, {
      active: manager,
      log: decisionLogger.listener,
      metrics,
      logger,
      ...(options.fileDebounceMs === undefined ? {} : { fileDebounceMs: options.fileDebounceMs }),
    });
  }
  await manager.start();
  await shadow?.start();
  return {
    manager,
    decisionLogger,
    metrics,
    shadow,
    async close() {
      await manager.stop();
      await shadow?.close();
      await decisionLogger.close();
    },
  };
}

/** What an unverified start warns: the bundle file is then as powerful as the policy. */
export const UNVERIFIED_WARNING =
  'BUNDLE_PUBLIC_KEYS is unset, so bundles are NOT signature-verified: whoever can write the bundle controls every decision';

/** The start-up line of a process running a policy engine: info when bundles are verified, else a warning. */
export function announceStart(
  logger: Logger,
  engine: RunningPolicyEngine,
  fields: Readonly<Record<string, unknown>>,
  message: string,
): void {
  const started = {
    ...fields,
    revision: engine.manager.active?.revision ?? null,
    signed: engine.manager.verifiesSignatures,
    ...(engine.shadow === undefined
      ? {}
      : {
          shadow_revision: engine.shadow.status().revision,
          shadow_sample: engine.shadow.sample,
          ...(engine.shadow.status().error === undefined
            ? {}
            : { shadow_error: engine.shadow.status().error?.reason }),
        }),
  };
  if (engine.manager.verifiesSignatures) logger.info(started, message);
  else logger.warn(started, `${message}; ${UNVERIFIED_WARNING}`);
}
