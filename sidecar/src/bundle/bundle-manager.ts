import { createHash } from 'node:crypto';
import type { BundleKeyConfig, BundleSourceConfig } from '../config.js';
import { Engine, EvaluationFailedError, type EngineOptions } from '../engine.js';
import { describe } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SidecarMetrics } from '../metrics.js';
import { FileBundleSource } from './file-source.js';
import { HttpBundleSource } from './http-source.js';
import {
  BundleSignatureError,
  importBundleKeys,
  signatureVerifier,
  type BundleVerificationKey,
} from './signature-verifier.js';

/** The name the active bundle is reported under (`provenance.bundles.<name>`, decision logs, metrics). */
export const DEFAULT_BUNDLE_NAME = 'verdict';

/** The bundle decisions are made with now: one object, swapped whole, so its fields always agree. */
export interface ActiveBundle {
  readonly engine: Engine;
  readonly revision: string;
  /** True when its signature was verified against a configured key; false when no keys are configured. */
  readonly signed: boolean;
  readonly activatedAt: Date;
}

/** What `/health?bundles` and the logs say about the bundle. */
export interface BundleStatus {
  readonly name: string;
  /** The active revision, `undefined` until a bundle has been activated. */
  readonly revision: string | undefined;
  readonly activatedAt: Date | undefined;
  /** Whether the active bundle's signature was verified (`false` while none is active). */
  readonly signed: boolean;
  /** The last failed download or activation, cleared by the next success. */
  readonly lastError: { readonly message: string; readonly reason: string; readonly at: Date } | undefined;
}

/** Given to {@link BundleManager.onSwap} listeners after a new bundle went live. */
export interface BundleSwap {
  readonly name: string;
  readonly active: ActiveBundle;
  readonly previousRevision: string | undefined;
  /** The file path or URL it came from. */
  readonly origin: string;
}

/** Given to {@link BundleManager.onRefusal} listeners when a bundle could not be read or was refused. */
export interface BundleRefusal {
  readonly name: string;
  /** Stable label, as in `verdict_sidecar_bundle_load_failures_total{reason}` (`signature_files`, …). */
  readonly reason: string;
  readonly message: string;
  readonly origin: string;
  readonly at: Date;
  /** The revision that stays active (last-known-good), if any. */
  readonly activeRevision: string | undefined;
}

/** The bundle variables as `SidecarConfig` holds them (BUNDLE_PATH/BUNDLE_URL, BUNDLE_POLL_S, BUNDLE_PUBLIC_KEYS). */
export interface BundleConfig {
  readonly bundle: BundleSourceConfig;
  readonly bundlePollS: number;
  readonly bundlePublicKeys: ReadonlyMap<string, BundleKeyConfig> | undefined;
}

/** How the manager gets, checks and builds engines. */
export interface BundleManagerOptions {
  readonly name?: string;
  /** Where bundles come from; without it bundles arrive only through {@link BundleManager.activate}. */
  readonly source?: BundleSourceConfig;
  /** Poll interval of the source in seconds (`BUNDLE_POLL_S`, default 10). */
  readonly pollS?: number;
  /** Keys by keyid ({@link importBundleKeys}); when set, only bundles signed by one of them go live. */
  readonly verificationKeys?: ReadonlyMap<string, BundleVerificationKey>;
  /** Passed to every `Engine.fromBuffer` (decision-log hook, memory); verification comes from the keys. */
  readonly engineOptions?: Omit<EngineOptions, 'verify'>;
  /**
   * Run on a freshly loaded engine before it goes live; throws to refuse it. The default evaluates
   * every entrypoint with `{}` and refuses an engine whose evaluation fails.
   */
  readonly smoke?: (engine: Engine) => void;
  readonly logger?: Logger;
  readonly metrics?: SidecarMetrics;
  readonly now?: () => Date;
  /** Quiet time after a bundle file event before it is read (default 100 ms). */
  readonly fileDebounceMs?: number;
  /** Jitter source of the URL poller, `[0, 1)`. */
  readonly random?: () => number;
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
 * Holds the active engine and replaces it: a new bundle is loaded into a new engine (signature
 * verified when keys are configured, WASM instantiated, data set), smoke-tested, then swapped in
 * with one assignment. Evaluation is synchronous, so a decision that already holds the old engine
 * finishes on it. A refused bundle leaves the last good one active and is reported in
 * {@link status}, the log, the metrics and to {@link onRefusal} listeners. Loads run one at a time;
 * identical bytes are not reloaded. A library: the sidecar and any other process build it with
 * {@link BundleManager.fromConfig}, then {@link start} and {@link stop} it.
 */
export class BundleManager {
  readonly name: string;
  /** The watched file or polled URL, when the manager was given a source. */
  readonly source: FileBundleSource | HttpBundleSource | undefined;
  readonly #options: BundleManagerOptions;
  readonly #logger: Logger;
  readonly #engineOptions: EngineOptions;
  readonly #signed: boolean;
  readonly #swapListeners = new Set<(swap: BundleSwap) => void>();
  readonly #refusalListeners = new Set<(refusal: BundleRefusal) => void>();
  #active: ActiveBundle | undefined;
  #digest: string | undefined;
  #lastError: BundleStatus['lastError'];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: BundleManagerOptions = {}) {
    this.name = options.name ?? DEFAULT_BUNDLE_NAME;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    const keys = options.verificationKeys;
    if (keys?.size === 0) throw new Error('verificationKeys is empty: no bundle could ever verify');
    this.#signed = keys !== undefined;
    const { engineOptions = {} } = options;
    this.#engineOptions =
      keys === undefined ? engineOptions : { ...engineOptions, verify: signatureVerifier(keys) };
    this.source = this.#createSource();
  }

  /** Imports `config.bundlePublicKeys` and builds a manager over `config.bundle`; throws on an unusable key. */
  static async fromConfig(
    config: BundleConfig,
    options: Omit<BundleManagerOptions, 'source' | 'pollS' | 'verificationKeys'> = {},
  ): Promise<BundleManager> {
    const keys =
      config.bundlePublicKeys === undefined ? undefined : await importBundleKeys(config.bundlePublicKeys);
    return new BundleManager({
      ...options,
      source: config.bundle,
      pollS: config.bundlePollS,
      ...(keys === undefined ? {} : { verificationKeys: keys }),
    });
  }

  /** Whether every activated bundle must carry a valid signature (keys configured). */
  get verifiesSignatures(): boolean {
    return this.#signed;
  }

  /** The bundle to decide with now, or `undefined` before the first successful activation. */
  get active(): ActiveBundle | undefined {
    return this.#active;
  }

  /** The active engine ({@link active}`.engine`). */
  get engine(): Engine | undefined {
    return this.#active?.engine;
  }

  status(): BundleStatus {
    return {
      name: this.name,
      revision: this.#active?.revision,
      activatedAt: this.#active?.activatedAt,
      signed: this.#active?.signed ?? false,
      lastError: this.#lastError,
    };
  }

  /** Calls `listener` after every swap; returns a function that unsubscribes it. */
  onSwap(listener: (swap: BundleSwap) => void): () => void {
    this.#swapListeners.add(listener);
    return () => this.#swapListeners.delete(listener);
  }

  /** Calls `listener` after every refused or unreadable bundle; returns a function that unsubscribes it. */
  onRefusal(listener: (refusal: BundleRefusal) => void): () => void {
    this.#refusalListeners.add(listener);
    return () => this.#refusalListeners.delete(listener);
  }

  /** Loads from the source once (resolves when that first load was tried), then keeps watching it. */
  async start(): Promise<void> {
    await this.source?.start();
  }

  /** Stops watching or polling; the active bundle stays usable. */
  async stop(): Promise<void> {
    await this.source?.stop();
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
    const at = this.#now();
    const activeRevision = this.#active?.revision;
    this.#lastError = { message, reason, at };
    this.#options.metrics?.bundleLoadFailures.inc({ name: this.name, reason });
    this.#logger.warn(
      { bundle: this.name, origin, reason, error: message, active_revision: activeRevision ?? null },
      'bundle load failed; the last good bundle stays active',
    );
    this.#emit(this.#refusalListeners, { name: this.name, reason, message, origin, at, activeRevision });
  }

  #createSource(): FileBundleSource | HttpBundleSource | undefined {
    const { source, pollS = 10, fileDebounceMs, random } = this.#options;
    if (source === undefined) return undefined;
    const pollMs = pollS * 1000;
    if (source.kind === 'file')
      return new FileBundleSource(source.path, this, {
        pollMs,
        ...(fileDebounceMs === undefined ? {} : { debounceMs: fileDebounceMs }),
      });
    return new HttpBundleSource(source.url, this, { pollMs, ...(random === undefined ? {} : { random }) });
  }

  async #activate(bundle: Buffer, origin: string): Promise<boolean> {
    const digest = createHash('sha256').update(bundle).digest('hex');
    if (digest === this.#digest) return true;
    let engine: Engine;
    try {
      engine = await Engine.fromBuffer(bundle, this.#engineOptions);
      (this.#options.smoke ?? smokeEveryEntrypoint)(engine);
    } catch (error) {
      this.reportFailure(reasonOf(error), error, origin);
      return false;
    }
    const previousRevision = this.#active?.revision;
    const active = { engine, revision: engine.revision, signed: this.#signed, activatedAt: this.#now() };
    this.#active = active;
    this.#digest = digest;
    this.#lastError = undefined;
    this.#options.metrics?.bundleActivated(this.name, engine.revision, active.activatedAt, active.signed);
    const fields = {
      bundle: this.name,
      origin,
      revision: engine.revision,
      previous_revision: previousRevision ?? null,
      signed: active.signed,
    };
    if (active.signed) this.#logger.info(fields, 'bundle activated');
    else
      this.#logger.warn(fields, 'bundle activated WITHOUT signature verification (BUNDLE_PUBLIC_KEYS unset)');
    this.#emit(this.#swapListeners, { name: this.name, active, previousRevision, origin });
    return true;
  }

  #emit<T>(listeners: ReadonlySet<(event: T) => void>, event: T): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        // A listener's failure must never undo or block a swap.
        this.#logger.error({ bundle: this.name, error: describe(error) }, 'bundle listener failed');
      }
    }
  }

  #now(): Date {
    return (this.#options.now ?? (() => new Date()))();
  }
}
