import { createHash } from 'node:crypto';
import { Engine, EvaluationFailedError, type EngineOptions } from '../engine.js';
import { describe } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SidecarMetrics } from '../metrics.js';
import { BundleSignatureError } from './signature-verifier.js';

/** The name the active bundle is reported under (`provenance.bundles.<name>`, decision logs, metrics). */
export const DEFAULT_BUNDLE_NAME = 'verdict';

/** What `/health?bundles` and the logs say about the bundle. */
export interface BundleStatus {
  readonly name: string;
  /** The active revision, `undefined` until a bundle has been activated. */
  readonly revision: string | undefined;
  readonly activatedAt: Date | undefined;
  /** The last failed download or activation, cleared by the next success. */
  readonly lastError: { readonly message: string; readonly reason: string; readonly at: Date } | undefined;
}

/** How the manager builds and checks engines. */
export interface BundleManagerOptions {
  readonly name?: string;
  /** Passed to every `Engine.fromBuffer` (signature verifier, decision-log hook, memory). */
  readonly engineOptions?: EngineOptions;
  /**
   * Run on a freshly loaded engine before it goes live; throws to refuse it. The default evaluates
   * every entrypoint with `{}` and refuses an engine whose evaluation fails.
   */
  readonly smoke?: (engine: Engine) => void;
  readonly logger?: Logger;
  readonly metrics?: SidecarMetrics;
  readonly now?: () => Date;
}

/** Evaluates every entrypoint once with `{}`; any `evaluation_failed` refuses the engine. */
export function smokeEveryEntrypoint(engine: Engine): void {
  if (engine.entrypoints.length === 0) throw new Error('the bundle compiles no entrypoint');
  for (const entrypoint of engine.entrypoints) {
    try {
      engine.evaluate(entrypoint, {});
    } catch (error) {
      if (error instanceof EvaluationFailedError) throw error;
    }
  }
}

/** A stable label for why a load failed. */
function reasonOf(error: unknown): string {
  if (error instanceof BundleSignatureError) return `signature_${error.reason}`;
  if (error instanceof EvaluationFailedError) return 'smoke_failed';
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return 'load_failed';
}

/**
 * Holds the active engine and replaces it: a new bundle is loaded into a new engine (verified, WASM
 * instantiated, data set), smoke-tested, then swapped in with one assignment. Evaluation is
 * synchronous, so a decision that already holds the old engine finishes on it. A failed load leaves
 * the last good engine in place and is reported in {@link status}, the log and the metrics. Loads run
 * one at a time; identical bytes are not reloaded.
 */
export class BundleManager {
  readonly name: string;
  readonly #options: BundleManagerOptions;
  readonly #logger: Logger;
  #engine: Engine | undefined;
  #digest: string | undefined;
  #activatedAt: Date | undefined;
  #lastError: BundleStatus['lastError'];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BundleManagerOptions = {}) {
    this.name = options.name ?? DEFAULT_BUNDLE_NAME;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
  }

  /** The engine to evaluate with now, or `undefined` before the first successful activation. */
  get engine(): Engine | undefined {
    return this.#engine;
  }

  status(): BundleStatus {
    return {
      name: this.name,
      revision: this.#engine?.revision,
      activatedAt: this.#activatedAt,
      lastError: this.#lastError,
    };
  }

  /**
   * Loads `bundle` (a `.tar.gz`) and activates it if it verifies and passes the smoke test. Resolves
   * `true` when it is active afterwards (also when it already was), `false` when it was refused.
   */
  activate(bundle: Buffer, origin: string): Promise<boolean> {
    const run = this.#queue.then(() => this.#activate(bundle, origin));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Records a failure that happened before a bundle could be read (download error, unreadable file). */
  reportFailure(reason: string, error: unknown, origin: string): void {
    const message = describe(error);
    this.#lastError = { message, reason, at: this.#now() };
    this.#options.metrics?.bundleLoadFailures.inc({ name: this.name, reason });
    this.#logger.warn(
      { bundle: this.name, origin, reason, error: message, active_revision: this.#engine?.revision ?? null },
      'bundle load failed; the last good bundle stays active',
    );
  }

  async #activate(bundle: Buffer, origin: string): Promise<boolean> {
    const digest = createHash('sha256').update(bundle).digest('hex');
    if (digest === this.#digest) return true;
    let engine: Engine;
    try {
      engine = await Engine.fromBuffer(bundle, this.#options.engineOptions);
      (this.#options.smoke ?? smokeEveryEntrypoint)(engine);
    } catch (error) {
      this.reportFailure(reasonOf(error), error, origin);
      return false;
    }
    const previous = this.#engine?.revision;
    this.#engine = engine;
    this.#digest = digest;
    this.#activatedAt = this.#now();
    this.#lastError = undefined;
    this.#options.metrics?.bundleActivated(this.name, engine.revision, this.#activatedAt);
    this.#logger.info(
      { bundle: this.name, origin, revision: engine.revision, previous_revision: previous ?? null },
      'bundle activated',
    );
    return true;
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}
