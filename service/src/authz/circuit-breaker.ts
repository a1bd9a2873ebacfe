/** Why a call was not made. */
export class CircuitOpenError extends Error {
  constructor() {
    super('circuit open: the policy decision point failed repeatedly');
    this.name = 'CircuitOpenError';
  }
}

/** When a breaker opens and how long it stays open. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through (ms). */
  readonly openMs: number;
  readonly now: () => number;
}

/**
 * A consecutive-failure circuit breaker: closed → open after `failureThreshold` failures → after
 * `openMs` one trial call (half-open) → closed on success, open again on failure. While open,
 * calls fail at once, so a dead PDP costs nothing but a 503.
 */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  /** closed, open or half-open, for metrics and health. */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.options.now() - this.#openedAt >= this.options.openMs ? 'half-open' : 'open';
  }

  /** Runs `call` unless the circuit is open; `isFailure` decides which errors count. */
  async run<T>(call: () => Promise<T>, isFailure: (error: unknown) => boolean): Promise<T> {
    const state = this.state;
    if (state === 'open' || (state === 'half-open' && this.#trialInFlight)) throw new CircuitOpenError();
    const trial = state === 'half-open';
    if (trial) this.#trialInFlight = true;
    try {
      const result = await call();
      this.#failures = 0;
      this.#openedAt = undefined;
      return result;
    } catch (error) {
      if (isFailure(error)) {
        this.#failures++;
        if (trial || this.#failures >= this.options.failureThreshold) this.#openedAt = this.options.now();
      }
      throw error;
    } finally {
      if (trial) this.#trialInFlight = false;
    }
  }
}
