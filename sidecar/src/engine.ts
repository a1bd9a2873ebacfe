import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readBundle, type BundleVerifier } from './bundle/bundle.js';
import type { BundleManifest } from './bundle/manifest.js';
import { hostBuiltins } from './builtins/host-builtins.js';
import { CUSTOM_BUILTINS } from './builtins/time.js';
import type {
  BatchInput,
  BatchResult,
  DecisionResult,
  ListFilterInput,
  ListFilterResult,
  PolicyInput,
} from './contract/policy.js';
import { toBatchDecisions, toDecision, toListFilter } from './contract/decision-shape.js';
import { ENTRYPOINTS } from './contract/entrypoints.js';
import {
  BundleInvalidError,
  EngineError,
  EntrypointNotFoundError,
  EvaluationFailedError,
  describe,
} from './errors.js';
import { WasmPolicy } from './wasm-policy.js';

export { CUSTOM_BUILTINS, type CustomBuiltinName } from './builtins/time.js';
export type { BundleVerifier, UnverifiedBundle } from './bundle/bundle.js';
export type { BundleManifest } from './bundle/manifest.js';
export {
  BuiltinError,
  BundleInvalidError,
  EngineError,
  EntrypointNotFoundError,
  EvaluationFailedError,
  PolicyNoDecisionError,
  type EngineErrorCode,
} from './errors.js';

/** Default WASM memory: 1 MiB to start (no growth for ordinary inputs), at most 64 MiB. */
export const DEFAULT_MEMORY = { initialPages: 16, maximumPages: 1024 } as const;

/** How an engine loads its bundle. */
export interface EngineOptions {
  /**
   * WASM linear memory in 64 KiB pages (default {@link DEFAULT_MEMORY}; a `RangeError` unless
   * 1 <= initial <= maximum). The maximum bounds what one evaluation (input, data and the
   * policy's working set) may use; beyond it evaluation fails with `evaluation_failed`. Memory
   * grows but never shrinks, so the maximum is also the most one engine will ever hold.
   */
  readonly memory?: { readonly initialPages?: number; readonly maximumPages?: number };
  /** Largest uncompressed bundle in bytes (default 64 MiB). */
  readonly maxBundleBytes?: number;
  /** Bundle signature verification seam, called before anything in the bundle is used. */
  readonly verify?: BundleVerifier;
  /**
   * Decision-log hook: called once per {@link Engine.query}, `decide`, `decideBatch` and `listFilter`
   * (not for raw {@link Engine.evaluate}), after evaluation, successful or not. It must return quickly;
   * whatever it throws is ignored, so logging can never change or fail a decision.
   */
  readonly onDecision?: DecisionListener;
}

/** One evaluation as a decision log records it. */
export interface DecisionRecord {
  readonly decisionId: string;
  /** The entrypoint, e.g. `verdict/authz/decision`. */
  readonly path: string;
  readonly input: unknown;
  /** The policy's raw value; `undefined` when the rule is undefined for this input. */
  readonly result: unknown;
  /** The failure, when evaluation failed. */
  readonly error?: EngineError;
  /** The bundle revision that decided. */
  readonly revision: string;
  readonly timestamp: Date;
  /** Evaluation time in nanoseconds. */
  readonly evalNs: number;
  /** Set only on the record of a shadow disagreement: what the shadow bundle answered instead. */
  readonly shadow?: ShadowAnswer;
}

/** The shadow bundle's answer to the input of a {@link DecisionRecord} it disagrees with. */
export interface ShadowAnswer {
  readonly revision: string;
  /** Its raw value; `undefined` when the rule is undefined for the input. */
  readonly result: unknown;
  /** Its failure, when its evaluation failed. */
  readonly error?: EngineError;
  /** How its answer differs (the impact analysis's change kinds: `allow_to_deny`, `redaction`, …). */
  readonly kinds: readonly string[];
}

/** Receives every {@link DecisionRecord} of an engine (see {@link EngineOptions.onDecision}). */
export type DecisionListener = (record: DecisionRecord) => void;

/** What {@link Engine.query} answers: the raw value (or `undefined`), with its decision id and revision. */
export interface QueryResult {
  readonly result: unknown;
  readonly decisionId: string;
  readonly revision: string;
}

/**
 * A policy bundle compiled to WebAssembly, loaded once and evaluated many times. Evaluation is
 * synchronous and has no clock: time comes from the input (`environment.now`). Every failure is an
 * `EngineError` with a stable `code`; nothing here ever turns a failure into an allow.
 */
export class Engine {
  /** The manifest's revision (`''` if none). */
  readonly revision: string;
  /** Entrypoints compiled into the module, e.g. `verdict/authz/decision`. */
  readonly entrypoints: readonly string[];
  /** The bundle's manifest (roots, metadata) as read. */
  readonly manifest: BundleManifest;
  readonly #policy: WasmPolicy;

  private constructor(policy: WasmPolicy, manifest: BundleManifest, onDecision?: DecisionListener) {
    this.#policy = policy;
    if (onDecision) decisionListeners.set(this, onDecision);
    this.manifest = manifest;
    this.revision = manifest.revision;
    this.entrypoints = Object.freeze([...policy.entrypoints.keys()].sort());
  }

  /** Loads a bundle `.tar.gz` from disk; an unreadable file is a `bundle_invalid`. */
  static async fromFile(path: string, options: EngineOptions = {}): Promise<Engine> {
    let bundle: Buffer;
    try {
      bundle = await readFile(path);
    } catch (error) {
      throw new BundleInvalidError(`cannot read bundle file ${path}: ${describe(error)}`, { cause: error });
    }
    return Engine.fromBuffer(bundle, options);
  }

  /** Loads a bundle `.tar.gz` held in memory: verify, instantiate the WASM, set its data once. */
  static async fromBuffer(bundle: Buffer, options: EngineOptions = {}): Promise<Engine> {
    const { wasm, data, manifest } = await readBundle(bundle, {
      ...(options.maxBundleBytes === undefined ? {} : { maxBytes: options.maxBundleBytes }),
      ...(options.verify === undefined ? {} : { verify: options.verify }),
    });
    const memory = {
      initial: options.memory?.initialPages ?? DEFAULT_MEMORY.initialPages,
      maximum: options.memory?.maximumPages ?? DEFAULT_MEMORY.maximumPages,
    };
    if (!Number.isSafeInteger(memory.initial) || memory.initial < 1 || memory.maximum < memory.initial) {
      throw new RangeError(
        `memory pages must satisfy 1 <= initial <= maximum (got ${memory.initial}, ${memory.maximum})`,
      );
    }
    let policy: WasmPolicy;
    try {
      policy = await WasmPolicy.instantiate(wasm, memory, hostBuiltins());
    } catch (error) {
      throw new BundleInvalidError(`policy.wasm cannot be loaded: ${describe(error)}`, { cause: error });
    }
    const available = new Set<string>(CUSTOM_BUILTINS);
    const missing = policy.importedBuiltins.filter((name) => !available.has(name));
    if (missing.length > 0) {
      throw new BundleInvalidError(`policy.wasm needs built-ins the engine lacks: ${missing.join(', ')}`);
    }
    try {
      policy.setData(JSON.stringify(data));
    } catch (error) {
      throw new BundleInvalidError(`bundle data cannot be loaded: ${describe(error)}`, { cause: error });
    }
    return new Engine(policy, manifest, options.onDecision);
  }

  /**
   * Raw evaluation: the entrypoint's value, or `undefined` when the rule is undefined for this input.
   * Throws {@link EntrypointNotFoundError} or {@link EvaluationFailedError}.
   */
  evaluate(entrypoint: string, input: unknown): unknown {
    const id = this.#policy.entrypoints.get(entrypoint);
    if (id === undefined) throw new EntrypointNotFoundError(entrypoint, this.entrypoints);
    let resultSet: unknown;
    try {
      resultSet = JSON.parse(
        this.#policy.evaluate(id, input === undefined ? undefined : JSON.stringify(input)),
      );
    } catch (error) {
      throw new EvaluationFailedError(entrypoint, error);
    }
    if (!Array.isArray(resultSet) || resultSet.length > 1) {
      throw new EvaluationFailedError(entrypoint, 'unexpected result set from the WASM module');
    }
    const [first] = resultSet as unknown[];
    if (first === undefined) return undefined;
    if (typeof first !== 'object' || first === null || !('result' in first)) {
      throw new EvaluationFailedError(entrypoint, 'unexpected result set from the WASM module');
    }
    return first.result;
  }

  /**
   * Raw evaluation with a fresh decision id, reported to the decision-log hook: what OPA's Data API
   * answers for `POST /v1/data/{entrypoint}`. Throws like {@link Engine.evaluate}.
   */
  query(entrypoint: string, input: unknown): QueryResult {
    return logged(this, entrypoint, input);
  }

  /** `verdict/authz/decision`: a checked decision with a fresh id; no decision → `PolicyNoDecisionError`. */
  decide(input: PolicyInput): DecisionResult {
    const { result, decisionId } = logged(this, ENTRYPOINTS.decision, input);
    const decision = toDecision(result, ENTRYPOINTS.decision);
    return { decision, decisionId, revision: this.revision };
  }

  /**
   * `verdict/authz/batch` in one WASM call: one checked decision per resource, in order. A missing,
   * malformed or miscounted decision fails the whole batch with `PolicyNoDecisionError`.
   */
  decideBatch(input: BatchInput): BatchResult {
    const { result, decisionId } = logged(this, ENTRYPOINTS.batch, input);
    const decisions = toBatchDecisions(result, ENTRYPOINTS.batch, input.resources.length);
    return { decisions, decisionId, revision: this.revision };
  }

  /** `verdict/authz/list_filter`: the clauses the store ORs; a malformed clause → `PolicyNoDecisionError`. */
  listFilter(input: ListFilterInput): ListFilterResult {
    const { result, decisionId } = logged(this, ENTRYPOINTS.listFilter, input);
    const anyOf = toListFilter(result, ENTRYPOINTS.listFilter);
    return { anyOf, decisionId, revision: this.revision };
  }
}

/** Decision-log hooks by engine (kept outside the instance so engine-derived test doubles still work). */
const decisionListeners = new WeakMap<Engine, DecisionListener>();

/** Evaluates through `engine.evaluate` with a fresh decision id and reports the outcome to its hook. */
function logged(engine: Engine, entrypoint: string, input: unknown): QueryResult {
  const decisionId = randomUUID();
  const timestamp = new Date();
  const started = process.hrtime.bigint();
  let result: unknown;
  let error: EngineError | undefined;
  try {
    result = engine.evaluate(entrypoint, input);
    return { result, decisionId, revision: engine.revision };
  } catch (thrown) {
    if (thrown instanceof EngineError) error = thrown;
    throw thrown;
  } finally {
    const listener = decisionListeners.get(engine);
    if (listener) {
      const evalNs = Number(process.hrtime.bigint() - started);
      const record = {
        decisionId,
        path: entrypoint,
        input,
        result,
        revision: engine.revision,
        timestamp,
        evalNs,
      };
      try {
        listener(error === undefined ? record : { ...record, error });
      } catch {
        // A decision log must never change or fail a decision.
      }
    }
  }
}
