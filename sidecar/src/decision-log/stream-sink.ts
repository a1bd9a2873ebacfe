import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { DecisionLogEvent, DecisionLogSink, DropListener } from './event.js';

/** Options of {@link StreamSink}. */
export interface StreamSinkOptions {
  /** Bytes the stream may hold unwritten before events are dropped (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  readonly onDrop?: DropListener;
}

/**
 * JSON lines to a stream (stdout, or a file opened for append). When the stream is slower than the
 * decisions, events are dropped and counted rather than buffered without bound.
 */
export class StreamSink implements DecisionLogSink {
  readonly #stream: Writable;
  readonly #ownsStream: boolean;
  readonly #maxBufferedBytes: number;
  readonly #onDrop: DropListener | undefined;
  #failed = false;

  constructor(
    readonly name: string,
    stream: Writable,
    options: StreamSinkOptions & { readonly ownsStream?: boolean } = {},
  ) {
    this.#stream = stream;
    this.#ownsStream = options.ownsStream ?? false;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.#onDrop = options.onDrop;
    stream.on('error', () => {
      this.#failed = true;
    });
  }

  /** Appends to the file at `path` (created if missing). */
  static file(path: string, options: StreamSinkOptions = {}): StreamSink {
    return new StreamSink('file', createWriteStream(path, { flags: 'a' }), { ...options, ownsStream: true });
  }

  write(event: DecisionLogEvent): void {
    if (this.#failed || this.#stream.writableLength > this.#maxBufferedBytes) {
      this.#onDrop?.(this.name, 1);
      return;
    }
    this.#stream.write(`${JSON.stringify(event)}\n`);
  }

  close(): Promise<void> {
    if (!this.#ownsStream || this.#failed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#stream.end(() => {
        resolve();
      });
    });
  }
}
