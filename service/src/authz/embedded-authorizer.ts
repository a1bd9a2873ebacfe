import {
  EngineError,
  PolicyNoDecisionError as EnginePolicyNoDecision,
  type Engine,
} from '@verdict/sidecar/engine';
import { AuthorizationUnavailableError, PolicyNoDecisionError } from '../errors.js';
import type {
  Authorizer,
  BatchInput,
  BatchResult,
  DecisionResult,
  ListFilterInput,
  ListFilterResult,
  PolicyInput,
} from './decision.js';

/** Engine errors as the service answers them: no decision → 403, anything else → 503. Never an allow. */
export function asServiceError(error: unknown): Error {
  if (error instanceof EnginePolicyNoDecision) return new PolicyNoDecisionError(error);
  if (error instanceof EngineError) return new AuthorizationUnavailableError(error);
  return error instanceof Error ? error : new AuthorizationUnavailableError(error);
}

/** `PDP_MODE=embedded`: the sidecar's Engine in-process, the same WASM bundle and decisions. */
export class EmbeddedAuthorizer implements Authorizer {
  constructor(private readonly engine: () => Engine | undefined) {}

  #run<T>(call: (engine: Engine) => T): Promise<T> {
    const engine = this.engine();
    if (engine === undefined)
      return Promise.reject(new AuthorizationUnavailableError('no policy bundle loaded'));
    try {
      return Promise.resolve(call(engine));
    } catch (error) {
      return Promise.reject(asServiceError(error));
    }
  }

  ready(): boolean {
    return this.engine() !== undefined;
  }

  decide(input: PolicyInput): Promise<DecisionResult> {
    return this.#run((engine) => engine.decide(input));
  }

  decideBatch(input: BatchInput): Promise<BatchResult> {
    return this.#run((engine) => engine.decideBatch(input));
  }

  listFilter(input: ListFilterInput): Promise<ListFilterResult> {
    return this.#run((engine) => engine.listFilter(input));
  }
}
