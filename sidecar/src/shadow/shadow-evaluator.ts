import { BundleManager, type BundleConfig } from '../bundle/bundle-manager.js';
import { POLICY_ACTIONS } from '../contract/policy.js';
import {
  EngineError,
  EvaluationFailedError,
  type DecisionListener,
  type DecisionRecord,
  type Engine,
} from '../engine.js';
import { compareOutcomes } from '../impact/change.js';
import { outcomeOf, resourceCount, type Outcome } from '../impact/outcome.js';
import { isJsonObject } from '../json-object.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SidecarMetrics } from '../metrics.js';

/** The name the shadow bundle is reported under (its manager, logs, `/health?bundles`). */
export const SHADOW_BUNDLE_NAME = 'shadow';

/** Decisions waiting for their shadow evaluation, at most; beyond it they are dropped and counted. */
export const SHADOW_QUEUE_MAX = 1000;

/** At most one warning about failing shadow evaluations in this many milliseconds. */
export const SHADOW_WARN_INTERVAL_MS = 60_000;

/** Shadow evaluations per event-loop turn, so that answers waiting meanwhile wait for a few at most. */
export const SHADOW_PER_TURN = 8;

/** What `/health?bundles` and the policy console say about the shadow bundle. */
export interface ShadowStatus {
  readonly name: string;
  /** Whether a shadow bundle is loaded (and so evaluated). */
  readonly loaded: boolean;
  readonly revision: string | null;
  /** Whether the loaded shadow bundle's signature was verified (`false` while none is loaded). */
  readonly signed: boolean;
  readonly activatedAt: Date | undefined;
  /** The last failed load (unreadable, unsigned, refused), cleared by the next success. */
  readonly error: { readonly reason: string; readonly message: string; readonly at: Date } | undefined;
  /** `SHADOW_SAMPLE`. */
  readonly sample: number;
}

/** What one bundle answered for an input: its raw value (absent when undefined) or its error. */
export interface BundleEvaluation {
  readonly revision: string | null;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

/** One input evaluated on both bundles ({@link ShadowEvaluator.evaluateBoth}). */
export interface SideBySide {
  readonly path: string;
  readonly active: BundleEvaluation;
  /** `null` while no shadow bundle is loaded. */
  readonly shadow: BundleEvaluation | null;
  /** The kinds of change from active to shadow (empty when they agree), as the decision log files them. */
  readonly kinds: readonly string[];
  /** True when the service would answer the same; `null` without a shadow bundle. */
  readonly same: boolean | null;
}

/** What a {@link ShadowEvaluator} is built from. */
export interface ShadowEvaluatorOptions {
  /** The shadow bundle's own manager (verified and reloaded like the active one). */
  readonly manager: BundleManager;
  /** The active bundle's manager, for {@link ShadowEvaluator.evaluateBoth}. */
  readonly active: BundleManager;
  /** `SHADOW_SAMPLE`, 0..1. */
  readonly sample: number;
  /** Where disagreement records go: the decision logger's `log`. */
  readonly log: (record: DecisionRecord) => void;
  readonly metrics?: SidecarMetrics | undefined;
  readonly logger?: Logger | undefined;
  readonly maxQueue?: number;
  readonly perTurn?: number;
  /** Sampling's random source, `[0, 1)`. */
  readonly random?: () => number;
}

/** What {@link ShadowEvaluator.fromConfig} takes besides the configuration. */
export type ShadowFromConfigOptions = Omit<ShadowEvaluatorOptions, 'manager' | 'sample'> & {
  readonly fileDebounceMs?: number;
};

/** `input.action` when it is an action the policies know, else `other` (a metric label stays bounded). */
function actionOf(input: unknown): string {
  const action = isJsonObject(input) ? input.action : undefined;
  return typeof action === 'string' && (POLICY_ACTIONS as readonly string[]).includes(action)
    ? action
    : 'other';
}

/** What the service makes of a raw answer or an engine error (the impact analysis's outcome). */
function outcome(path: string, result: unknown, error: EngineError | undefined, resources: number): Outcome {
  return error === undefined ? outcomeOf(path, result, resources) : { kind: 'error', code: error.code };
}

/**
 * Evaluates a sample of the active bundle's decisions again on a candidate (shadow) bundle, off the
 * hot path: {@link listener} runs inside the engine's decision-log hook and only samples and queues
 * (a bounded queue; full → dropped and counted, never waited for); the evaluations happen on later
 * event-loop turns, a few per turn, after the answer has gone. The shadow's answer is never returned
 * to anyone: a disagreement becomes a decision-log record (the active record with `shadow`) and
 * `verdict_shadow_disagreements_total{action, kind}`, compared with the impact analysis's rules
 * (allow↔deny, visibility, redactions, step-up, reasons, list filters, per element of a batch).
 * Nothing the shadow does — missing, refused, failing, slow — can throw into the caller.
 */
export class ShadowEvaluator {
  readonly manager: BundleManager;
  readonly sample: number;
  /** Chain this into the active engine's `onDecision` (after the decision logger's listener). */
  readonly listener: DecisionListener;
  readonly #options: ShadowEvaluatorOptions;
  readonly #logger: Logger;
  readonly #maxQueue: number;
  readonly #perTurn: number;
  readonly #random: () => number;
  #queue: DecisionRecord[] = [];
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];
  #warnedAt = Number.NEGATIVE_INFINITY;

  constructor(options: ShadowEvaluatorOptions) {
    if (!(options.sample >= 0 && options.sample <= 1))
      throw new RangeError(`sample must be within 0..1, got ${options.sample}`);
    this.manager = options.manager;
    this.sample = options.sample;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#maxQueue = options.maxQueue ?? SHADOW_QUEUE_MAX;
    this.#perTurn = options.perTurn ?? SHADOW_PER_TURN;
    this.#random = options.random ?? Math.random;
    this.listener = (record) => {
      this.offer(record);
    };
    const { metrics } = options;
    if (metrics !== undefined) {
      this.manager.onSwap((swap) => {
        metrics.shadowBundleInfo.reset();
        metrics.shadowBundleInfo.set({ revision: swap.active.revision }, 1);
      });
    }
  }

  /**
   * A shadow over `shadow` (SHADOW_BUNDLE_PATH or SHADOW_BUNDLE_URL) with the active bundle's keys
   * and poll interval: a bundle the active manager would refuse is refused here too.
   */
  static async fromConfig(
    config: Pick<BundleConfig, 'bundlePollS' | 'bundlePublicKeys'>,
    shadow: { readonly bundle: BundleConfig['bundle']; readonly sample: number },
    options: ShadowFromConfigOptions,
  ): Promise<ShadowEvaluator> {
    const { fileDebounceMs, random, ...rest } = options;
    const manager = await BundleManager.fromConfig(
      { bundle: shadow.bundle, bundlePollS: config.bundlePollS, bundlePublicKeys: config.bundlePublicKeys },
      {
        name: SHADOW_BUNDLE_NAME,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(fileDebounceMs === undefined ? {} : { fileDebounceMs }),
        ...(random === undefined ? {} : { random }),
      },
    );
    return new ShadowEvaluator({ ...rest, manager, sample: shadow.sample, ...(random ? { random } : {}) });
  }

  /** Loads the shadow bundle once and keeps watching it; a failure is reported in {@link status}, never thrown. */
  async start(): Promise<void> {
    try {
      await this.manager.start();
    } catch (error) {
      this.manager.reportFailure('load_failed', error, SHADOW_BUNDLE_NAME);
    }
  }

  /** Stops watching, evaluates what is queued (so its disagreements reach the log) and takes no more. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.manager.stop();
    while (this.#queue.length > 0) this.#drain();
    this.#settle();
  }

  /** Decisions waiting for their shadow evaluation. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves once nothing is queued (tests, and whoever wants the disagreements of a burst). */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && !this.#scheduled) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  status(): ShadowStatus {
    const status = this.manager.status();
    return {
      name: this.manager.name,
      loaded: status.revision !== undefined,
      revision: status.revision ?? null,
      signed: status.signed,
      activatedAt: status.activatedAt,
      error: status.lastError,
      sample: this.sample,
    };
  }

  /**
   * Takes one decision of the active engine: sampled, queued, evaluated later. O(1) and never
   * throws; a shadow disagreement's own record is not taken again.
   */
  offer(record: DecisionRecord): void {
    if (this.#closed || record.shadow !== undefined) return;
    if (this.sample < 1 && !(this.sample > 0 && this.#random() < this.sample)) return;
    if (this.manager.active === undefined) {
      this.#options.metrics?.shadowDropped.inc({ reason: 'no_bundle' });
      return;
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.#options.metrics?.shadowDropped.inc({ reason: 'queue_full' });
      return;
    }
    this.#queue.push(record);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#drain();
      });
    }
  }

  /** One raw evaluation on the shadow bundle, neither logged nor enforced (the console's evaluate form). */
  evaluate(path: string, input: unknown): BundleEvaluation {
    return evaluateOn(this.manager.engine, path, input);
  }

  /** One input on the active and the shadow bundle side by side, compared as disagreements are; nothing logged. */
  evaluateBoth(path: string, input: unknown): SideBySide {
    const active = evaluateOn(this.#options.active.engine, path, input);
    if (this.manager.engine === undefined) return { path, active, shadow: null, kinds: [], same: null };
    const shadow = this.evaluate(path, input);
    const resources = resourceCount(input);
    const kinds = [
      ...new Set(
        compareOutcomes(
          outcomeOfEvaluation(path, active, resources),
          outcomeOfEvaluation(path, shadow, resources),
        ).flatMap(({ change }) => change.kinds),
      ),
    ];
    return { path, active, shadow, kinds, same: kinds.length === 0 };
  }

  #drain(): void {
    this.#scheduled = false;
    const records = this.#queue.splice(0, this.#perTurn);
    for (const record of records) {
      try {
        this.#compare(record);
      } catch (error) {
        // The shadow's trouble is its own: counted and logged, never thrown into the event loop.
        this.#options.metrics?.shadowErrors.inc({ code: 'internal' });
        this.#warn('internal', error instanceof Error ? error.name : typeof error);
      }
    }
    if (this.#queue.length > 0 && !this.#closed) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#drain();
      });
    } else if (this.#queue.length === 0) this.#settle();
  }

  /**
   * One warning a minute while shadow evaluations fail: the code and revision only (an engine's
   * message can quote the input), the count is in `verdict_shadow_errors_total`.
   */
  #warn(code: string, detail: string): void {
    const now = performance.now();
    if (now - this.#warnedAt < SHADOW_WARN_INTERVAL_MS) return;
    this.#warnedAt = now;
    this.#logger.warn(
      { bundle: SHADOW_BUNDLE_NAME, code, detail },
      'shadow evaluations fail (counted in verdict_shadow_errors_total; at most one warning a minute); answers are not affected',
    );
  }

  #settle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }

  #compare(record: DecisionRecord): void {
    const engine = this.manager.engine;
    const metrics = this.#options.metrics;
    if (engine === undefined) {
      metrics?.shadowDropped.inc({ reason: 'no_bundle' });
      return;
    }
    let result: unknown;
    let error: EngineError | undefined;
    try {
      result = engine.evaluate(record.path, record.input);
    } catch (thrown) {
      error = thrown instanceof EngineError ? thrown : new EvaluationFailedError(record.path, thrown);
      metrics?.shadowErrors.inc({ code: error.code });
      this.#warn(error.code, engine.revision);
    }
    const resources = resourceCount(record.input);
    const changes = compareOutcomes(
      outcome(record.path, record.result, record.error, resources),
      outcome(record.path, result, error, resources),
    );
    metrics?.shadowEvaluations.inc({ outcome: changes.length === 0 ? 'agree' : 'disagree' });
    if (changes.length === 0) return;
    const action = actionOf(record.input);
    for (const { change } of changes)
      for (const kind of change.kinds) metrics?.shadowDisagreements.inc({ action, kind });
    const kinds = [...new Set(changes.flatMap(({ change }) => change.kinds))];
    this.#options.log({
      ...record,
      shadow: { revision: engine.revision, result, ...(error === undefined ? {} : { error }), kinds },
    });
  }
}

function evaluateOn(engine: Engine | undefined, path: string, input: unknown): BundleEvaluation {
  if (engine === undefined)
    return { revision: null, error: { code: 'no_bundle', message: 'no bundle is loaded' } };
  try {
    const result = engine.evaluate(path, input);
    return { revision: engine.revision, ...(result === undefined ? {} : { result }) };
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    return { revision: engine.revision, error: { code: error.code, message: error.message } };
  }
}

function outcomeOfEvaluation(path: string, evaluation: BundleEvaluation, resources: number): Outcome {
  return evaluation.error === undefined
    ? outcomeOf(path, evaluation.result, resources)
    : { kind: 'error', code: evaluation.error.code };
}
