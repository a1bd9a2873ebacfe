import type { Launcher } from './launcher.js';

/** What one load run does: fixed connections, a warm-up, then a measured phase. */
export interface LoadOptions {
  readonly port: number;
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** A file holding the body (for large ones), instead of `body`. */
  readonly bodyFile?: string;
  /** A file of tokens, one a line: each request carries the next as `Authorization: Bearer`. */
  readonly tokensFile?: string;
  readonly connections: number;
  /** Load before the measured phase, not counted (0: none). */
  readonly warmupMs: number;
  /** The measured phase's length, unless `amount` is given. */
  readonly durationMs?: number;
  /** Requests of the measured phase, instead of a duration. */
  readonly amount?: number;
  /** With `amount`: stop after this long even if fewer requests were answered. */
  readonly capMs?: number;
}

/** What the measured phase of a load run saw. Latencies in milliseconds, client side. */
export interface LoadResult {
  /** Responses received. */
  readonly requests: number;
  readonly durationS: number;
  /** Successful (2xx) responses per second: failures never count as throughput. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Responses with a status outside 2xx. */
  readonly non2xx: number;
  /** Connection errors and timeouts (requests with no response). */
  readonly errors: number;
  readonly timeouts: number;
  /** With `tokensFile`: tokens sent, and whether the list was used more than once. */
  readonly tokensUsed?: number;
  readonly tokensWrapped?: boolean;
  /** With `capMs`: whether the cap stopped the run before `amount`. */
  readonly capped?: boolean;
}

/** Requests that did not succeed: non-2xx answers, errors and timeouts. */
export function failures(result: LoadResult): number {
  return result.non2xx + result.errors;
}

/** Runs the load generator (autocannon) in its own process against a server. */
export function runLoad(launcher: Launcher, options: LoadOptions): Promise<LoadResult> {
  return launcher.runWorker<LoadResult>('load', options);
}
