import type { Logger } from 'pino';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { LimitsConfig } from '../config.js';
import type { ServiceMetrics } from '../metrics/service-metrics.js';
import { RedisRateLimits } from './redis-rate-limits.js';

/** One fixed-window limiter: resolves with the window's state, rejects with RateLimiterRes when it is used up. */
export interface Limiter {
  consume(key: string): Promise<RateLimiterRes>;
}

/** Where the rate-limit counters live: this process's memory, or a Redis all replicas share. */
export interface RateLimitStore {
  /** A limiter of `points` per minute whose counters are kept apart under `name`. */
  limiter(name: string, points: number): Limiter;
  /** Ends the store's connections (shutdown). */
  close(): Promise<void>;
}

/** Counters in this process's memory: each replica limits on its own. */
export function memoryRateLimits(): RateLimitStore {
  return {
    limiter: (name, points) => new RateLimiterMemory({ keyPrefix: name, points, duration: 60 }),
    close: () => Promise.resolve(),
  };
}

/**
 * The store `LimitsConfig` asks for, wired to the service's log and metrics: Redis when REDIS_URL is
 * set (failing open to memory while it is unreachable), memory otherwise. Server and tests both
 * build it here.
 */
export function openRateLimitStore(
  limits: LimitsConfig,
  deps: { readonly logger: Logger; readonly now: () => number; readonly metrics: ServiceMetrics },
): RateLimitStore {
  if (limits.redis === undefined) return memoryRateLimits();
  const { metrics } = deps;
  return new RedisRateLimits(limits.redis, {
    logger: deps.logger,
    now: deps.now,
    onFallback: (limiter) => {
      metrics.rateLimitStoreErrors.inc({ limiter });
    },
    onConnection: (up) => {
      metrics.rateLimitStoreUp.set(up ? 1 : 0);
    },
  });
}
