/** How the answer deadline follows the sidecar's latency. */
export interface AnswerDeadlineOptions {
  /** The deadline while answers are fast, and never less (PDP_TIMEOUT_MS). */
  readonly floorMs: number;
  /** The most it may grow to. */
  readonly ceilingMs: number;
  /** The deadline is this many times the recent p99 answer time (default 4). */
  readonly multiplier?: number;
}

/** Answer times kept; the p99 is read over them every {@link EVERY} answers. */
const SAMPLES = 512;
const EVERY = 128;

/**
 * The deadline of a sent request: `multiplier` × the p99 of the last 512 answer times, never below
 * `floorMs` nor above `ceilingMs`. A sidecar whose answers mostly arrive well within PDP_TIMEOUT_MS
 * but whose tail has grown (a busy machine, GC pauses) gets the room its own tail shows; one that
 * stops answering, or that answers only after the floor, still times out at the floor, as no answer
 * in time means no sample. Constant work per answer, no allocation after construction.
 */
export class AnswerDeadline {
  readonly #floor: number;
  readonly #ceiling: number;
  readonly #multiplier: number;
  readonly #samples = new Float64Array(SAMPLES);
  readonly #sorted = new Float64Array(SAMPLES);
  #count = 0;
  #current: number;

  constructor(options: AnswerDeadlineOptions) {
    this.#floor = options.floorMs;
    this.#ceiling = Math.max(options.floorMs, options.ceilingMs);
    this.#multiplier = options.multiplier ?? 4;
    this.#current = this.#floor;
  }

  /** The deadline now, in whole milliseconds. */
  get ms(): number {
    return this.#current;
  }

  /** Records the time one answer took, from sending to its last byte. */
  record(ms: number): void {
    this.#samples[this.#count % SAMPLES] = ms;
    this.#count++;
    if (this.#count % EVERY === 0) this.#update();
  }

  #update(): void {
    const n = Math.min(this.#count, SAMPLES);
    const sorted = this.#sorted.subarray(0, n);
    sorted.set(this.#samples.subarray(0, n));
    sorted.sort();
    const p99 = sorted[Math.min(n - 1, Math.floor(n * 0.99))] ?? 0;
    this.#current = Math.ceil(Math.min(this.#ceiling, Math.max(this.#floor, p99 * this.#multiplier)));
  }
}
