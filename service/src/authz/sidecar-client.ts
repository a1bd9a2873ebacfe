import { Pool, type Dispatcher } from 'undici';
import { AnswerDeadline } from './answer-deadline.js';

/** How the service talks to its sidecar. */
export interface SidecarClientOptions {
  /** `http://host:port` or `unix:/path/to.sock` (PDP_URL). */
  readonly url: string;
  /**
   * How long the sidecar may take to answer a request once it has been sent (PDP_TIMEOUT_MS): the
   * floor of the deadline, which follows the sidecar's recent p99 up to ten times this.
   */
  readonly timeoutMs: number;
  /** How long a request may wait for a free connection before it is refused (PDP_QUEUE_TIMEOUT_MS). */
  readonly queueTimeoutMs: number;
  /** Keep-alive connections, so requests in flight at most; the rest wait their turn in order. */
  readonly connections: number;
  /**
   * Asked when a waiting request gets its connection: an error refuses it unsent (the circuit
   * opened while it waited).
   */
  readonly gate?: () => Error | undefined;
}

/** The sidecar did not answer in time after the request was sent. */
export class SidecarTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the sidecar did not answer within ${timeoutMs} ms`);
    this.name = 'SidecarTimeoutError';
  }
}

/** Every connection stayed busy for as long as a request may wait: too much load, not a failure. */
export class SidecarBusyError extends Error {
  constructor(queueTimeoutMs: number) {
    super(`no connection to the sidecar came free within ${queueTimeoutMs} ms`);
    this.name = 'SidecarBusyError';
  }
}

/** A complete answer of the sidecar. */
export interface SidecarAnswer {
  readonly status: number;
  readonly body: Buffer;
}

const HEADERS = ['content-type', 'application/json', 'accept', 'application/json'];

/**
 * POSTs to the sidecar over a fixed set of keep-alive connections (TCP or a Unix socket), one request
 * per connection at a time; requests beyond them wait here, in order, for at most `queueTimeoutMs`.
 * The answer deadline ({@link AnswerDeadline}: PDP_TIMEOUT_MS, or more when the sidecar's recent tail
 * needs it) starts when a request gets its connection, so waiting behind other requests never counts
 * against the sidecar; and when it passes, the request is abandoned only after the event loop has
 * read what sockets hold, so an answer that arrived while this process was busy is not mistaken for
 * a late one.
 */
export class SidecarClient {
  readonly #options: SidecarClientOptions;
  readonly #pool: Dispatcher;
  readonly #origin: string;
  readonly #deadline: AnswerDeadline;
  /** Requests waiting for a connection, oldest first, from `#head`; timed-out ones are skipped. */
  #waiting: (Exchange | undefined)[] = [];
  #head = 0;
  #inFlight = 0;
  #drainScheduled = false;

  constructor(options: SidecarClientOptions) {
    this.#options = options;
    this.#deadline = new AnswerDeadline({ floorMs: options.timeoutMs, ceilingMs: 10 * options.timeoutMs });
    const socketPath = options.url.startsWith('unix:') ? options.url.slice('unix:'.length) : undefined;
    this.#origin = socketPath === undefined ? options.url : 'http://localhost';
    this.#pool = new Pool(this.#origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // The deadline below replaces undici's, which would fire before a late-read answer is seen.
      headersTimeout: 0,
      bodyTimeout: 0,
      connectTimeout: Math.max(options.timeoutMs, 1000),
      ...(socketPath === undefined ? {} : { socketPath }),
    });
  }

  /** POSTs `body` (JSON text) to `path`; rejects on transport errors, the deadline, or a full queue. */
  post(path: string, body: string): Promise<SidecarAnswer> {
    return new Promise((resolve, reject) => {
      const exchange = new Exchange(this, path, body, resolve, reject);
      if (this.#inFlight < this.#options.connections && this.#head === this.#waiting.length) {
        this.#send(exchange);
        return;
      }
      exchange.timer = setTimeout(afterTurn, this.#options.queueTimeoutMs, expireWaiting, exchange);
      this.#waiting.push(exchange);
      if (this.#inFlight < this.#options.connections) this.#scheduleDrain();
    });
  }

  /** Closes the connections (requests in flight finish first). */
  close(): Promise<void> {
    return this.#pool.close();
  }

  get queueTimeoutMs(): number {
    return this.#options.queueTimeoutMs;
  }

  /** The deadline of a request sent now (ms). */
  get deadlineMs(): number {
    return this.#deadline.ms;
  }

  /** Called by an exchange with the time its answer took. */
  answered(ms: number): void {
    this.#deadline.record(ms);
  }

  #send(exchange: Exchange): void {
    this.#inFlight++;
    exchange.sentAt = performance.now();
    exchange.deadlineMs = this.#deadline.ms;
    exchange.timer = setTimeout(afterTurn, exchange.deadlineMs, expireSent, exchange);
    this.#pool.dispatch(
      { origin: this.#origin, path: exchange.path, method: 'POST', headers: HEADERS, body: exchange.body },
      exchange,
    );
  }

  /**
   * Called by an exchange once undici is done with it. Waiting requests go out after this turn's
   * promise callbacks, so that a circuit opened by the outcome just received refuses them unsent.
   */
  release(): void {
    this.#inFlight--;
    if (this.#head < this.#waiting.length) this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drain();
    });
  }

  #drain(): void {
    this.#drainScheduled = false;
    while (this.#inFlight < this.#options.connections && this.#head < this.#waiting.length) {
      const next = this.#waiting[this.#head];
      this.#waiting[this.#head++] = undefined;
      if (next === undefined || next.settled) continue;
      clearTimeout(next.timer);
      const refusal = this.#options.gate?.();
      if (refusal !== undefined) next.fail(refusal);
      else this.#send(next);
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Runs `then(exchange)` after the poll phase of the current turn has read what sockets hold. */
function afterTurn(then: (exchange: Exchange) => void, exchange: Exchange): void {
  setImmediate(then, exchange);
}

function expireWaiting(exchange: Exchange): void {
  if (!exchange.settled && exchange.sentAt === undefined)
    exchange.fail(new SidecarBusyError(exchange.client.queueTimeoutMs));
}

function expireSent(exchange: Exchange): void {
  if (exchange.settled) return;
  const error = new SidecarTimeoutError(exchange.deadlineMs);
  exchange.fail(error);
  exchange.controller?.abort(error);
}

/** One request and its answer, as undici's dispatch handler. */
class Exchange implements Dispatcher.DispatchHandler {
  settled = false;
  /** When it got its connection (`performance.now()`), and the deadline it got then. */
  sentAt: number | undefined;
  deadlineMs = 0;
  timer: NodeJS.Timeout | undefined;
  controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #chunks: Buffer[] = [];
  #reason: Error | undefined;

  constructor(
    readonly client: SidecarClient,
    readonly path: string,
    readonly body: string,
    private readonly resolve: (answer: SidecarAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.#reason = error;
    clearTimeout(this.timer);
    this.reject(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Given up on while its connection was being made: not sent at all.
    if (this.#reason !== undefined) controller.abort(this.#reason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.client.release();
    if (this.settled) return;
    if (this.sentAt !== undefined) this.client.answered(performance.now() - this.sentAt);
    this.settled = true;
    clearTimeout(this.timer);
    const chunks = this.#chunks;
    this.resolve({
      status: this.#status,
      body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.client.release();
    this.fail(error);
  }
}
