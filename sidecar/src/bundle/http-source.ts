import { describe } from '../errors.js';
import type { BundleManager } from './bundle-manager.js';

/** Options of {@link HttpBundleSource}. */
export interface HttpBundleSourceOptions {
  /** The polling interval (`BUNDLE_POLL_S`); each wait is jittered by ±20 %. */
  readonly pollMs: number;
  /** Longest wait after repeated failures (default 5 min, never below `pollMs`). */
  readonly maxBackoffMs?: number;
  /** Deadline of one download (default 30 s). */
  readonly timeoutMs?: number;
  /** Largest bundle accepted, compressed (default 64 MiB). */
  readonly maxBytes?: number;
  /** For tests: the jitter's random source, `[0, 1)`. */
  readonly random?: () => number;
}

/** What the poller has done, for tests and the log. */
export interface HttpBundleSourceStats {
  readonly requests: number;
  readonly notModified: number;
  readonly downloads: number;
  readonly failures: number;
}

/**
 * `BUNDLE_URL`: polled with `If-None-Match` (a `304` costs one request and nothing else), at a jittered
 * interval that backs off exponentially while downloads or activations fail. The ETag is kept only
 * once its bundle is active, so a refused bundle is fetched again (and refused again) until it changes.
 */
export class HttpBundleSource {
  readonly #url: URL;
  readonly #manager: BundleManager;
  readonly #options: HttpBundleSourceOptions;
  #etag: string | undefined;
  #consecutiveFailures = 0;
  #timer: NodeJS.Timeout | undefined;
  #abort = new AbortController();
  #running: Promise<void> | undefined;
  #stopped = false;
  #stats = { requests: 0, notModified: 0, downloads: 0, failures: 0 };

  constructor(url: URL, manager: BundleManager, options: HttpBundleSourceOptions) {
    this.#url = url;
    this.#manager = manager;
    this.#options = options;
  }

  get stats(): HttpBundleSourceStats {
    return { ...this.#stats };
  }

  /** Polls once now, then keeps polling in the background. */
  async start(): Promise<void> {
    await this.poll();
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#running;
  }

  /** One poll: download if changed, activate, remember the ETag on success. */
  poll(): Promise<void> {
    this.#running ??= this.#poll().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** The next wait: the interval, doubled per consecutive failure up to the cap, jittered ±20 %. */
  nextDelayMs(): number {
    const { pollMs } = this.#options;
    const cap = Math.max(pollMs, this.#options.maxBackoffMs ?? 300_000);
    const base = Math.min(pollMs * 2 ** Math.min(this.#consecutiveFailures, 20), cap);
    return Math.round(base * (0.8 + 0.4 * (this.#options.random ?? Math.random)()));
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.poll().finally(() => {
        this.#schedule();
      });
    }, this.nextDelayMs());
    this.#timer.unref();
  }

  #failed(reason: string, error: unknown): void {
    this.#consecutiveFailures += 1;
    this.#stats.failures += 1;
    this.#manager.reportFailure(reason, error, this.#url.href);
  }

  async #poll(): Promise<void> {
    this.#stats.requests += 1;
    const headers: Record<string, string> = {};
    if (this.#etag !== undefined) headers['if-none-match'] = this.#etag;
    let response: Response;
    let body: Buffer;
    try {
      response = await fetch(this.#url, {
        headers,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs ?? 30_000)]),
      });
      if (response.status === 304) {
        await response.body?.cancel();
        this.#stats.notModified += 1;
        this.#consecutiveFailures = 0;
        return;
      }
      if (response.status !== 200) {
        await response.body?.cancel();
        this.#failed(`http_${response.status}`, new Error(`bundle server answered ${response.status}`));
        return;
      }
      body = await readLimited(response, this.#options.maxBytes ?? 64 * 1024 * 1024);
    } catch (error) {
      if (this.#stopped) return;
      this.#failed('unreachable', new Error(`bundle download failed: ${describe(error)}`, { cause: error }));
      return;
    }
    this.#stats.downloads += 1;
    if (await this.#manager.activate(body, this.#url.href)) {
      this.#etag = response.headers.get('etag') ?? undefined;
      this.#consecutiveFailures = 0;
    } else {
      this.#consecutiveFailures += 1;
      this.#stats.failures += 1;
    }
  }
}

async function readLimited(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`bundle is ${declared} bytes, more than ${maxBytes}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body === null) return Buffer.alloc(0);
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`bundle is more than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
