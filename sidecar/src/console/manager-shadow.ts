import type { BundleManager } from '../bundle/bundle-manager.js';
import { EngineError } from '../errors.js';
import type { ConsoleEvaluation, ConsoleShadow, ConsoleShadowStatus } from './console.js';

/**
 * A {@link ConsoleShadow} over a bundle manager of its own (verified, hot-reloaded like the active
 * one): its status, and a raw evaluation that is neither logged nor enforced.
 */
export function managerShadow(manager: BundleManager): ConsoleShadow {
  return {
    status(): ConsoleShadowStatus {
      const status = manager.status();
      return {
        revision: status.revision ?? null,
        signed: status.signed,
        activatedAt: status.activatedAt,
        error: status.lastError,
      };
    },
    evaluate(path: string, input: unknown): ConsoleEvaluation {
      const engine = manager.engine;
      if (engine === undefined)
        return { revision: null, error: { code: 'no_bundle', message: 'no shadow bundle is active' } };
      try {
        const result = engine.evaluate(path, input);
        return { revision: engine.revision, ...(result === undefined ? {} : { result }) };
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        return { revision: engine.revision, error: { code: error.code, message: error.message } };
      }
    },
  };
}
