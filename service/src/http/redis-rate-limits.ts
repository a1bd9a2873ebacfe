import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisLimitsConfig } from '../config.js';
import type { Limiter, RateLimitStore } from './rate-limit-store.js';

/** While Redis keeps failing, one warning per this interval (with the count of fallbacks since). */
export const STORE_FAILURE_LOG_INTERVAL_MS = 60_000;
/** How long a (re)connection may take; reconnecting goes on, at most this far apart. */
const CONNECT_TIMEOUT_MS = 2_000;
const MAX_RECONNECT_DELAY_MS = 2_000;

/** What the Redis store reports, given to its constructor. */
export interface RedisRateLimitHooks {
  readonly logger: Logger;
  /** The clock that spaces the warnings. */
  readonly now: () => number;
  /** A request limited in this process's memory because Redis failed or was too slow (metric). */
  readonly onFallback?: (limiter: string) => void;
  /** The connection became usable (`true`) or was lost (`false`) (gauge). */
  readonly onConnection?: (up: boolean) => void;
}

/**
 * The error's message only: ioredis errors carry the command and its arguments (the counter keys:
 * client ids, subjects, IP addresses), which must not reach the log.
 */
function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

/**
 * Rate-limit counters in Redis (rate-limiter-flexible's RateLimiterRedis over ioredis), shared by
 * every replica. It fails open: while Redis is unreachable or slower than REDIS_TIMEOUT_MS, each
 * request is limited by a per-replica in-memory limiter of the same size instead, counted and
 * logged — a rate limit protects against abuse, it authorizes nothing (the policy still decides
 * every request), so Redis being down must not take the API down. We do the fallback ourselves
 * rather than through rate-limiter-flexible's `insuranceLimiter`, which gives no hook to count or
 * log the failures.
 */
export class RedisRateLimits implements RateLimitStore {
  readonly #client: Redis;
  readonly #config: RedisLimitsConfig;
  readonly #hooks: RedisRateLimitHooks;
  /** The last line logged was a warning (so a recovery is worth a line). */
  #warned = false;
  #lastWarningMs = -Infinity;
  #unreported = 0;
  #closing = false;

  constructor(config: RedisLimitsConfig, hooks: RedisRateLimitHooks) {
    this.#config = config;
    this.#hooks = hooks;
    this.#client = new Redis(config.url, {
      // A command while disconnected fails at once instead of waiting in a queue: the request
      // falls back to memory without delay.
      enableOfflineQueue: false,
      commandTimeout: config.timeoutMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      // Commands in flight when the connection drops fail then, and are never sent twice (a
      // resent increment would count a request twice).
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
      connectionName: 'verdict-rate-limits',
    });
    hooks.onConnection?.(false);
    this.#client.on('ready', () => {
      hooks.onConnection?.(true);
      this.#recovered();
    });
    this.#client.on('close', () => {
      hooks.onConnection?.(false);
    });
    // Without a listener ioredis prints every connection error to the console itself.
    this.#client.on('error', (error: unknown) => {
      this.#failed(error);
    });
    hooks.logger.info(
      { rate_limit_store: 'redis', key_prefix: config.keyPrefix, timeout_ms: config.timeoutMs },
      'rate-limit counters in Redis, shared by every replica',
    );
  }

  limiter(name: string, points: number): Limiter {
    const shared = new RateLimiterRedis({
      storeClient: this.#client,
      keyPrefix: `${this.#config.keyPrefix}:rate-limit:${name}`,
      points,
      duration: 60,
      rejectIfRedisNotReady: true,
    });
    const local = new RateLimiterMemory({ keyPrefix: name, points, duration: 60 });
    return {
      consume: async (key) => {
        let res: RateLimiterRes;
        try {
          res = await shared.consume(key);
        } catch (rejection) {
          if (rejection instanceof RateLimiterRes) {
            this.#recovered();
            throw rejection;
          }
          this.#hooks.onFallback?.(name);
          this.#failed(rejection);
          return local.consume(key);
        }
        this.#recovered();
        return res;
      },
    };
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#client.status === 'ready') {
      try {
        await this.#client.quit();
        return;
      } catch {
        // disconnected below
      }
    }
    this.#client.disconnect();
  }

  /**
   * A failure: at most one warning per STORE_FAILURE_LOG_INTERVAL_MS, however often Redis fails or
   * flaps, each with the number of failures it did not report one by one.
   */
  #failed(error: unknown): void {
    if (this.#closing) return;
    this.#unreported++;
    const now = this.#hooks.now();
    if (now - this.#lastWarningMs < STORE_FAILURE_LOG_INTERVAL_MS) return;
    this.#hooks.logger.warn(
      { rate_limit_store: 'redis', error: describe(error), failures: this.#unreported },
      'rate-limit store unavailable: limiting in this replica’s memory until Redis answers again',
    );
    this.#warned = true;
    this.#lastWarningMs = now;
    this.#unreported = 0;
  }

  /** Redis answers again: said once, and only after a warning said it did not. */
  #recovered(): void {
    if (!this.#warned || this.#closing) return;
    this.#warned = false;
    this.#hooks.logger.info({ rate_limit_store: 'redis' }, 'rate-limit store answering again: limits shared');
  }
}
