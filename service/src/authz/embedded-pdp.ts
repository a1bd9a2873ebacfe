import {
  announceStart,
  startPolicyEngine,
  type PolicyEngineConfig,
  type PolicyEngineOptions,
  type RunningPolicyEngine,
} from '@verdict/sidecar/policy-engine';
import type { Logger } from 'pino';
import type { ReadinessCheck } from '../health.js';
import { EmbeddedAuthorizer } from './embedded-authorizer.js';

/** `PDP_MODE=embedded`, running: the authorizer, the engine behind it and its readiness. */
export interface EmbeddedPdp {
  readonly authorizer: EmbeddedAuthorizer;
  readonly engine: RunningPolicyEngine;
  /**
   * Ready once a bundle is active; the probe shows its revision and whether it is signed, and the
   * shadow bundle's (SHADOW_BUNDLE_PATH / SHADOW_BUNDLE_URL) under `shadow`, which never makes the
   * service unready: it decides nothing.
   */
  readonly readiness: ReadinessCheck;
}

/**
 * Embedded mode on the sidecar's own engine path: the same BundleManager (BUNDLE_PATH watched or
 * BUNDLE_URL polled, signatures verified with BUNDLE_PUBLIC_KEYS, last-known-good), the same
 * decision log and metrics — in-process. Decisions always use the bundle active at the call; a
 * shadow bundle, when configured, is evaluated beside it after the answer and never enforced.
 */
export async function startEmbeddedPdp(
  config: PolicyEngineConfig,
  logger: Logger,
  options: Omit<PolicyEngineOptions, 'logger'> = {},
): Promise<EmbeddedPdp> {
  const engine = await startPolicyEngine(config, { ...options, logger });
  announceStart(
    logger,
    engine,
    { pdp_mode: 'embedded', bundle_source: config.bundle.kind },
    'policy engine started',
  );
  const { manager, shadow } = engine;
  return {
    authorizer: new EmbeddedAuthorizer(() => manager.engine),
    engine,
    readiness: {
      name: 'policy_bundle',
      check: () => Promise.resolve(manager.active !== undefined),
      report: () =>
        shadow === undefined ? manager.status() : { ...manager.status(), shadow: shadow.status() },
    },
  };
}
