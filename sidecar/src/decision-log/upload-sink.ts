import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DecisionLogEvent, DecisionLogSink, DropListener } from './event.js';

const gzipAsync = promisify(gzip);

/** Options of {@link UploadSink}. */
export interface UploadSinkOptions {
  /** Where batches are POSTed (an OPA-compatible collector's endpoint, e.g. `http://collector/logs`). */
  readonly url: URL;
  /** How often the buffer is sent (default 1 s); failures back off from here up to `maxBackoffMs`. */
  readonly flushIntervalMs?: number;
  readonly maxBackoffMs?: number;
  /** Events per request at most (default 1 000). */
  readonly maxBatchEvents?: number;
  /** Events held at most; beyond it new events are dropped (default 10 000). */
  readonly maxBufferEvents?: number;
  /** Deadline of one upload (default 5 s). */
  readonly timeoutMs?: number;
  /** How long `close` may spend on a last upload before it gives up (default 2 s). */
  readonly closeTimeoutMs?: number;
  readonly onDrop?: DropListener;
  /** Told about each failed upload (for the log). */
  readonly onError?: (error: Error) => void;
}

/**
 * Batched upload to a decision-log collector as OPA does it: a gzipped JSON array of events POSTed
 * with `Content-Encoding: gzip`. The buffer is bounded; a slow or failing collector costs dropped (and
 * counted) events, never a slower decision. A failed batch is put back while there is room, and the
 * next attempt backs off exponentially.
 */
export class UploadSink implements DecisionLogSink {
  readonly name = 'upload';
  readonly #options: UploadSinkOptions;
  readonly #interval: number;
  readonly #maxBatch: number;
  readonly #maxBuffer: number;
  #buffer: DecisionLogEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #uploading: Promise<void> | undefined;
  #failures = 0;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(options: UploadSinkOptions) {
    this.#options = options;
    this.#interval = options.flushIntervalMs ?? 1_000;
    this.#maxBatch = options.maxBatchEvents ?? 1_000;
    this.#maxBuffer = options.maxBufferEvents ?? 10_000;
    this.#schedule(this.#interval);
  }

  /** Events waiting to be sent. */
  get buffered(): number {
    return this.#buffer.length;
  }

  write(event: DecisionLogEvent): void {
    if (this.#closed || this.#buffer.length >= this.#maxBuffer) {
      this.#options.onDrop?.(this.name, 1);
      return;
    }
    this.#buffer.push(event);
  }

  /** Sends what is buffered now (one batch at a time); resolves when the attempt is over. */
  async flush(): Promise<void> {
    if (this.#uploading) await this.#uploading.catch(() => undefined);
    while (this.#buffer.length > 0) {
      this.#uploading = this.#uploadOne();
      const ok = await this.#uploading.then(
        () => true,
        () => false,
      );
      this.#uploading = undefined;
      if (!ok) return;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const giveUp = setTimeout(() => {
      this.#abort.abort();
    }, this.#options.closeTimeoutMs ?? 2_000);
    await this.flush();
    clearTimeout(giveUp);
    if (this.#buffer.length > 0) this.#options.onDrop?.(this.name, this.#buffer.length);
    this.#buffer = [];
  }

  #schedule(delay: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.flush().finally(() => {
        const backoff = Math.min(this.#interval * 2 ** this.#failures, this.#options.maxBackoffMs ?? 60_000);
        this.#schedule(this.#failures === 0 ? this.#interval : backoff);
      });
    }, delay);
    this.#timer.unref();
  }

  async #uploadOne(): Promise<void> {
    const batch = this.#buffer.splice(0, this.#maxBatch);
    try {
      const body = await gzipAsync(JSON.stringify(batch));
      const response = await fetch(this.#options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs ?? 5_000)]),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`decision-log collector answered ${response.status}`);
      this.#failures = 0;
    } catch (error) {
      this.#failures += 1;
      const room = Math.max(0, this.#maxBuffer - this.#buffer.length);
      const kept = this.#closed ? [] : batch.slice(0, room);
      this.#buffer.unshift(...kept);
      if (batch.length > kept.length) this.#options.onDrop?.(this.name, batch.length - kept.length);
      this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }
}
