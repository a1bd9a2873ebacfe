import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import { readBundle, type BundleVerifier } from './bundle/bundle.js';
import type { BundleManifest } from './bundle/manifest.js';
import { OPA_WASM_SDK_BUILTINS, sdkCustomBuiltins } from './builtins/sdk-builtins.js';
import { CUSTOM_BUILTINS } from './builtins/time.js';
import type {
  BatchInput,
  BatchResult,
  DecisionResult,
  ListFilterInput,
  ListFilterResult,
  PolicyInput,
} from './decision.js';
import { toBatchDecisions, toDecision, toListFilter } from './decision-shape.js';
import { BundleInvalidError, EntrypointNotFoundError, EvaluationFailedError, describe } from './errors.js';
import { importedBuiltins } from './wasm-builtins.js';

export { CUSTOM_BUILTINS, type CustomBuiltinName } from './builtins/time.js';
export type { BundleVerifier, UnverifiedBundle } from './bundle/bundle.js';
export type { BundleManifest } from './bundle/manifest.js';
export type {
  AgentClaim,
  BatchInput,
  BatchResult,
  Decision,
  DecisionResult,
  ListFilterClause,
  ListFilterInput,
  ListFilterResult,
  PolicyAction,
  PolicyEnvironment,
  PolicyInput,
  PolicyResource,
  PolicySubject,
  Provenance,
  Reason,
  StepUp,
  SubjectClaims,
} from './decision.js';
export { POLICY_ACTIONS } from './decision.js';
export {
  BuiltinError,
  BundleInvalidError,
  EngineError,
  EntrypointNotFoundError,
  EvaluationFailedError,
  PolicyNoDecisionError,
  type EngineErrorCode,
} from './errors.js';

/** The contract's entrypoints (ARCHITECTURE.md, Contracts). */
export const ENTRYPOINTS = {
  decision: 'verdict/authz/decision',
  batch: 'verdict/authz/batch',
  listFilter: 'verdict/authz/list_filter',
} as const;

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
  readonly #policy: LoadedPolicy;

  private constructor(policy: LoadedPolicy, manifest: BundleManifest) {
    this.#policy = policy;
    this.manifest = manifest;
    this.revision = manifest.revision;
    this.entrypoints = Object.freeze(Object.keys(policy.entrypoints as Record<string, number>).sort());
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
    let policy: LoadedPolicy;
    try {
      policy = await loadPolicy(wasm, memory, sdkCustomBuiltins());
    } catch (error) {
      throw new BundleInvalidError(`policy.wasm cannot be loaded: ${describe(error)}`, { cause: error });
    }
    const available = new Set<string>([...OPA_WASM_SDK_BUILTINS, ...CUSTOM_BUILTINS]);
    const missing = importedBuiltins(policy).filter((name) => !available.has(name));
    if (missing.length > 0) {
      throw new BundleInvalidError(`policy.wasm needs built-ins the engine lacks: ${missing.join(', ')}`);
    }
    try {
      policy.setData(data);
    } catch (error) {
      throw new BundleInvalidError(`bundle data cannot be loaded: ${describe(error)}`, { cause: error });
    }
    return new Engine(policy, manifest);
  }

  /**
   * Raw evaluation: the entrypoint's value, or `undefined` when the rule is undefined for this input.
   * Throws {@link EntrypointNotFoundError} or {@link EvaluationFailedError}.
   */
  evaluate(entrypoint: string, input: unknown): unknown {
    if (!this.entrypoints.includes(entrypoint))
      throw new EntrypointNotFoundError(entrypoint, this.entrypoints);
    let resultSet: unknown;
    try {
      resultSet = this.#policy.evaluate(input, entrypoint);
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

  /** `verdict/authz/decision`: a checked decision with a fresh id; no decision → `PolicyNoDecisionError`. */
  decide(input: PolicyInput): DecisionResult {
    const decision = toDecision(this.evaluate(ENTRYPOINTS.decision, input), ENTRYPOINTS.decision);
    return { decision, decisionId: randomUUID(), revision: this.revision };
  }

  /**
   * `verdict/authz/batch` in one WASM call: one checked decision per resource, in order. A missing,
   * malformed or miscounted decision fails the whole batch with `PolicyNoDecisionError`.
   */
  decideBatch(input: BatchInput): BatchResult {
    const result = this.evaluate(ENTRYPOINTS.batch, input);
    const decisions = toBatchDecisions(result, ENTRYPOINTS.batch, input.resources.length);
    return { decisions, decisionId: randomUUID(), revision: this.revision };
  }

  /** `verdict/authz/list_filter`: the clauses the store ORs; a malformed clause → `PolicyNoDecisionError`. */
  listFilter(input: ListFilterInput): ListFilterResult {
    const anyOf = toListFilter(this.evaluate(ENTRYPOINTS.listFilter, input), ENTRYPOINTS.listFilter);
    return { anyOf, decisionId: randomUUID(), revision: this.revision };
  }
}
