import { randomUUID } from 'node:crypto';
import type { DecisionListener, DecisionRecord } from '../engine.js';
import type { DecisionLogEvent, DecisionLogSink, DropListener } from './event.js';
import { maskDecision, maskText, type MaskPath } from './mask.js';
import { StreamSink } from './stream-sink.js';
import { UploadSink } from './upload-sink.js';

export type { DecisionLogEvent, DecisionLogSink, DropListener } from './event.js';
export { CREDENTIAL_KEY, containsCredential, parseMaskSpec, type MaskPath } from './mask.js';

/** How a {@link DecisionLogger} shapes and delivers events. */
export interface DecisionLoggerOptions {
  readonly sinks: readonly DecisionLogSink[];
  /** Extra paths to erase (the credential rules of `mask.ts` always apply). */
  readonly mask?: readonly MaskPath[];
  /** The name under which the bundle revision is reported (`bundles.<name>.revision`). */
  readonly bundleName: string;
  /** Added to OPA's `labels` (`id`, a per-process id, and `version`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Records waiting to be masked and written, at most (default 10 000); beyond it they are dropped. */
  readonly maxPending?: number;
  /** Told about every drop, the logger's own (`pending`) and its sinks'. */
  readonly onDrop?: DropListener;
}

/** Where decision logs go, as the sidecar's `DECISION_LOG` and `DECISION_LOG_URL` say. */
export interface DecisionLogDestinations {
  readonly target:
    { readonly kind: 'stdout' } | { readonly kind: 'file'; readonly path: string } | { readonly kind: 'off' };
  readonly url?: URL | undefined;
  readonly onDrop?: DropListener;
  readonly onUploadError?: (error: Error) => void;
}

/** The sinks for {@link DecisionLogDestinations}: stdout or a file, plus a collector when a URL is given. */
export function createDecisionLogSinks(destinations: DecisionLogDestinations): DecisionLogSink[] {
  const { target, url, onDrop, onUploadError } = destinations;
  const sinks: DecisionLogSink[] = [];
  const dropOptions = onDrop === undefined ? {} : { onDrop };
  if (target.kind === 'stdout') sinks.push(new StreamSink('stdout', process.stdout, dropOptions));
  if (target.kind === 'file') sinks.push(StreamSink.file(target.path, dropOptions));
  if (url !== undefined) {
    sinks.push(
      new UploadSink({
        url,
        ...dropOptions,
        ...(onUploadError === undefined ? {} : { onError: onUploadError }),
      }),
    );
  }
  return sinks;
}

/** The sidecar's version, reported in decision-log labels like OPA's. */
export const SIDECAR_VERSION = '0.1.0';

/**
 * Turns engine {@link DecisionRecord}s into OPA decision-log events, masked, and hands them to its
 * sinks. Wire {@link DecisionLogger.listener} into `EngineOptions.onDecision` (the sidecar does; the
 * service can in embedded mode). Recording is a push onto a bounded queue: masking and writing happen
 * after the decision has been answered, so logging never slows one down.
 */
export class DecisionLogger {
  /** Pass this as `EngineOptions.onDecision`. */
  readonly listener: DecisionListener;
  readonly #options: DecisionLoggerOptions;
  readonly #labels: Readonly<Record<string, string>>;
  readonly #maxPending: number;
  readonly #subscribers = new Set<(event: DecisionLogEvent) => void>();
  #pending: DecisionRecord[] = [];
  #scheduled = false;

  constructor(options: DecisionLoggerOptions) {
    this.#options = options;
    this.#labels = Object.freeze({ id: randomUUID(), version: SIDECAR_VERSION, ...options.labels });
    this.#maxPending = options.maxPending ?? 10_000;
    this.listener = (record) => {
      this.log(record);
    };
  }

  /**
   * Calls `listener` with every event after it is masked, as the sinks get it (the policy console's
   * recent decisions), also when `DECISION_LOG=off` leaves no sinks. Returns the unsubscribe call.
   * What the listener throws is ignored, so a subscriber can never stop the log.
   */
  subscribe(listener: (event: DecisionLogEvent) => void): () => void {
    this.#subscribers.add(listener);
    return () => {
      this.#subscribers.delete(listener);
    };
  }

  /** Queues one record; drops (and reports) it when the queue is full, or ignores it with nobody to tell. */
  log(record: DecisionRecord): void {
    if (this.#options.sinks.length === 0 && this.#subscribers.size === 0) return;
    if (this.#pending.length >= this.#maxPending) {
      this.#options.onDrop?.('pending', 1);
      return;
    }
    this.#pending.push(record);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#drain();
      });
    }
  }

  /** The OPA-shaped, masked event of one record. */
  toEvent(record: DecisionRecord): DecisionLogEvent {
    const masked = maskDecision(record.input, record.result, this.#options.mask ?? []);
    const shadow = record.shadow;
    const shadowMasked =
      shadow === undefined ? undefined : maskDecision(undefined, shadow.result, this.#options.mask ?? []);
    const erased = [...masked.erased, ...(shadowMasked?.erased.map((pointer) => `/shadow${pointer}`) ?? [])];
    return {
      decision_id: record.decisionId,
      path: record.path,
      ...(masked.input === undefined ? {} : { input: masked.input }),
      ...(masked.result === undefined ? {} : { result: masked.result }),
      timestamp: record.timestamp.toISOString(),
      bundles: { [this.#options.bundleName]: { revision: record.revision } },
      labels: this.#labels,
      metrics: { timer_rego_query_eval_ns: record.evalNs },
      ...(erased.length === 0 ? {} : { erased }),
      ...(record.error === undefined
        ? {}
        : { error: { code: record.error.code, message: maskText(record.error.message) } }),
      ...(shadow === undefined
        ? {}
        : {
            shadow: {
              revision: shadow.revision,
              ...(shadowMasked?.result === undefined ? {} : { result: shadowMasked.result }),
              ...(shadow.error === undefined
                ? {}
                : { error: { code: shadow.error.code, message: maskText(shadow.error.message) } }),
              kinds: shadow.kinds,
            },
          }),
    };
  }

  /** Writes everything queued, then closes the sinks (a collector gets one last upload). */
  async close(): Promise<void> {
    this.#drain();
    await Promise.all(this.#options.sinks.map((sink) => sink.close()));
  }

  #drain(): void {
    this.#scheduled = false;
    const records = this.#pending;
    this.#pending = [];
    for (const record of records) {
      let event: DecisionLogEvent;
      try {
        event = this.toEvent(record);
      } catch {
        // An input that is not JSON (a cycle, a BigInt) cannot be logged; it is counted, not thrown.
        this.#options.onDrop?.('pending', 1);
        continue;
      }
      for (const sink of this.#options.sinks) sink.write(event);
      for (const subscriber of this.#subscribers) {
        try {
          subscriber(event);
        } catch {
          // A subscriber's failure is its own; the log goes on.
        }
      }
    }
  }
}
