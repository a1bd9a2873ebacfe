import type { Middleware } from 'koa';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors.js';
import type { RateLimitStore } from './rate-limit-store.js';
import type { RequestState } from './state.js';

/** A fixed window limiter whose key comes from the request. */
export interface RateLimitOptions {
  readonly name: string;
  readonly pointsPerMinute: number;
  /** Where the counters live (memory, or a Redis the replicas share). */
  readonly store: RateLimitStore;
  readonly key: (state: RequestState) => string | undefined;
  /** Called for each request refused with 429 (metrics). */
  readonly onLimited?: (limiter: string) => void;
}

function headers(limit: number, res: RateLimiterRes): Record<string, string> {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(Math.max(0, res.remainingPoints)),
    'RateLimit-Reset': String(Math.max(0, Math.ceil(res.msBeforeNext / 1000))),
  };
}

/**
 * Limits requests per key per minute (rate-limiter-flexible), sets the RateLimit-* headers the
 * seed gives, and answers `429 rate_limited` with Retry-After when the window is used up.
 */
export function rateLimit({
  name,
  pointsPerMinute,
  store,
  key,
  onLimited,
}: RateLimitOptions): Middleware<RequestState> {
  const limiter = store.limiter(name, pointsPerMinute);
  const limitText = String(pointsPerMinute);
  return async function rateLimit(ctx, next) {
    const subject = key(ctx.state);
    if (subject === undefined) {
      await next();
      return;
    }
    try {
      const res = await limiter.consume(subject);
      // Straight onto the response: Koa's ctx.set builds an object and arrays on every call.
      ctx.res.setHeader('RateLimit-Limit', limitText);
      ctx.res.setHeader('RateLimit-Remaining', String(Math.max(0, res.remainingPoints)));
      ctx.res.setHeader('RateLimit-Reset', String(Math.max(0, Math.ceil(res.msBeforeNext / 1000))));
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      onLimited?.(name);
      throw new RateLimitedError(
        Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
        headers(pointsPerMinute, rejection),
      );
    }
    await next();
  };
}
