/** Why a call was not made. */
export class CircuitOpenError extends Error {
  constructor() {
    super('circuit open: most recent calls to the policy decision point failed');
    this.name = 'CircuitOpenError';
  }
}

/** When a breaker opens and how long it stays open. */
export interface CircuitBreakerOptions {
  /** The rolling window over which outcomes are counted (ms; kept in ten buckets). */
  readonly windowMs: number;
  /** Outcomes the window must hold before it may open the circuit: a few failures alone never do. */
  readonly minimumCalls: number;
  /** Share of failed outcomes in the window (0 < ratio ≤ 1) at or above which the circuit opens. */
  readonly failureRatio: number;
  /** How long the circuit stays open before one trial call is let through (ms). */
  readonly openMs: number;
  readonly now: () => number;
}

/** The breaker's defaults: open when at least half of at least 20 calls in the last 10 s failed; 2 s open. */
export const DEFAULT_BREAKER = Object.freeze({
  windowMs: 10_000,
  minimumCalls: 20,
  failureRatio: 0.5,
  openMs: 2_000,
});

/** How a finished call counts: a failure of the PDP, a healthy answer, or neither (its own fault, or load). */
export type CallOutcome = 'failure' | 'success' | 'ignored';

const BUCKETS = 10;

interface Bucket {
  epoch: number;
  successes: number;
  failures: number;
}

/**
 * An error-ratio circuit breaker over a rolling window: closed → open when the window holds at
 * least `minimumCalls` outcomes and at least `failureRatio` of them are failures → after `openMs`
 * half-open, one trial call at a time → closed (window cleared) on success, open again on failure.
 * A burst of slow calls under load cannot open it unless they make up the failing majority; while it
 * is open calls fail at once, so a dead PDP costs nothing but a 503.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #bucketMs: number;
  /** Per bucket: its index in time (`floor(now / bucketMs)`), its successes and failures. */
  readonly #buckets: Bucket[] = Array.from({ length: BUCKETS }, () => ({
    epoch: -Infinity,
    successes: 0,
    failures: 0,
  }));
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(options: CircuitBreakerOptions) {
    if (!(options.failureRatio > 0 && options.failureRatio <= 1))
      throw new RangeError('failureRatio must be in (0, 1]');
    if (!(options.minimumCalls >= 1 && options.windowMs >= BUCKETS && options.openMs >= 0))
      throw new RangeError('minimumCalls ≥ 1, windowMs ≥ 10 and openMs ≥ 0 are required');
    this.#options = options;
    this.#bucketMs = options.windowMs / BUCKETS;
  }

  /** closed, open or half-open, for metrics and health. */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.#options.now() - this.#openedAt >= this.#options.openMs ? 'half-open' : 'open';
  }

  /** Failed and total outcomes in the window now. */
  get window(): { readonly failures: number; readonly calls: number } {
    const current = Math.floor(this.#options.now() / this.#bucketMs);
    let failures = 0;
    let calls = 0;
    for (const bucket of this.#buckets) {
      if (current - bucket.epoch >= BUCKETS) continue;
      failures += bucket.failures;
      calls += bucket.failures + bucket.successes;
    }
    return { failures, calls };
  }

  /**
   * Runs `call` unless the circuit is open (then throws {@link CircuitOpenError} without calling);
   * `classify` says how an error counts (a result is a success).
   */
  async run<T>(call: () => Promise<T>, classify: (error: unknown) => CallOutcome): Promise<T> {
    const trial = this.#admit();
    let outcome: CallOutcome = 'ignored';
    try {
      const result = await call();
      outcome = 'success';
      return result;
    } catch (error) {
      outcome = classify(error);
      throw error;
    } finally {
      this.#settle(trial, outcome);
    }
  }

  /** Throws when no call may go out now; true when this call is the half-open trial. */
  #admit(): boolean {
    const state = this.state;
    if (state === 'closed') return false;
    if (state === 'open' || this.#trialInFlight) throw new CircuitOpenError();
    this.#trialInFlight = true;
    return true;
  }

  #settle(trial: boolean, outcome: CallOutcome): void {
    if (trial) {
      this.#trialInFlight = false;
      if (outcome === 'success') this.#close();
      else if (outcome === 'failure') this.#openedAt = this.#options.now();
      return;
    }
    // Outcomes of calls admitted before the circuit opened change nothing while it is open.
    if (outcome === 'ignored' || this.#openedAt !== undefined) return;
    this.#record(outcome === 'failure');
    if (outcome === 'failure') {
      const { failures, calls } = this.window;
      if (calls >= this.#options.minimumCalls && failures >= calls * this.#options.failureRatio)
        this.#openedAt = this.#options.now();
    }
  }

  #record(failed: boolean): void {
    const current = Math.floor(this.#options.now() / this.#bucketMs);
    const bucket = this.#buckets[current % BUCKETS];
    if (bucket === undefined) return;
    if (bucket.epoch !== current) {
      bucket.epoch = current;
      bucket.successes = 0;
      bucket.failures = 0;
    }
    if (failed) bucket.failures++;
    else bucket.successes++;
  }

  #close(): void {
    this.#openedAt = undefined;
    for (const bucket of this.#buckets) bucket.epoch = -Infinity;
  }
}
