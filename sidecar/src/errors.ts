/** Stable codes of every error the engine throws; callers switch on these, never on messages. */
export type EngineErrorCode =
  'bundle_invalid' | 'entrypoint_not_found' | 'evaluation_failed' | 'policy_no_decision' | 'builtin_failed';

/**
 * Base of every error the engine throws. `code` is stable; `message` is for logs (it may name files,
 * entrypoints or built-ins, never input values).
 */
export abstract class EngineError extends Error {
  abstract readonly code: EngineErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bundle cannot be used: not gzip, not a safe tar, missing or unreadable files, WASM that fails to load. */
export class BundleInvalidError extends EngineError {
  readonly code = 'bundle_invalid';
}

/** The entrypoint was not compiled into the bundle's WASM module. */
export class EntrypointNotFoundError extends EngineError {
  readonly code = 'entrypoint_not_found';
  readonly entrypoint: string;

  constructor(entrypoint: string, available: readonly string[]) {
    super(`entrypoint ${entrypoint} is not in the bundle (compiled: ${available.join(', ') || 'none'})`);
    this.entrypoint = entrypoint;
  }
}

/** The WASM evaluation threw: a built-in error, memory exhausted, an abort, an input that is not JSON. */
export class EvaluationFailedError extends EngineError {
  readonly code = 'evaluation_failed';
  readonly entrypoint: string;

  constructor(entrypoint: string, cause: unknown) {
    super(`evaluation of ${entrypoint} failed: ${describe(cause)}`, { cause });
    this.entrypoint = entrypoint;
  }
}

/** The policy gave no decision, or one that does not have the contract's shape: always a deny. */
export class PolicyNoDecisionError extends EngineError {
  readonly code = 'policy_no_decision';
  readonly entrypoint: string;

  constructor(entrypoint: string, problem: string) {
    super(`${entrypoint} gave no usable decision: ${problem}`);
    this.entrypoint = entrypoint;
  }
}

/** A custom built-in rejected its arguments (OPA would raise a built-in error for the same call). */
export class BuiltinError extends EngineError {
  readonly code = 'builtin_failed';
  readonly builtin: string;

  constructor(builtin: string, message: string) {
    super(`${builtin}: ${message}`);
    this.builtin = builtin;
  }
}

/** The opa-wasm SDK throws strings, plain objects and Errors alike; this gives one line of text. */
export function describe(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  if (typeof thrown === 'object' && thrown !== null && 'message' in thrown) {
    const { message } = thrown;
    if (typeof message === 'string') return message;
  }
  return 'unknown error';
}
