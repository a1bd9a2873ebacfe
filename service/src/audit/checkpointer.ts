import type { AuditLog } from '../store/audit-log.js';
import { appendCheckpoint, ensureCheckpointFile, type AuditCheckpoint } from './checkpoint.js';

/** Runs `callback` after `ms` and returns a function that cancels it; tests pass a manual one. */
export type Schedule = (callback: () => void, ms: number) => () => void;

/** The default schedule: an unref'd timer, so a pending checkpoint never keeps the process alive. */
export const unrefTimer: Schedule = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => {
    clearTimeout(timer);
  };
};

/** At most one checkpoint write per this many milliseconds. */
export const CHECKPOINT_INTERVAL_MS = 1000;

/** What the checkpointer needs. */
export interface CheckpointerOptions {
  readonly file: string;
  readonly now: () => number;
  readonly schedule?: Schedule;
  /** After each line written (metrics): the checkpoint and when it was written. */
  readonly onCheckpoint?: (checkpoint: AuditCheckpoint, atMs: number) => void;
  /** A scheduled write failed (logging, metrics); it is retried a second later. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Anchors the audit chain outside the database: after commits that appended records it appends
 * the committed head `{seq, mac, time}` to the checkpoint file, batched to one write a second.
 */
export class AuditCheckpointer {
  /** The log whose head is written: the one that last reported an append. */
  #log: Pick<AuditLog, 'auditHead'> | undefined;
  readonly #file: string;
  readonly #now: () => number;
  readonly #schedule: Schedule;
  readonly #onCheckpoint: CheckpointerOptions['onCheckpoint'];
  readonly #onError: CheckpointerOptions['onError'];
  #cancel: (() => void) | undefined;
  #queue: Promise<void> = Promise.resolve();
  #dirty = false;
  #closed = false;
  #last: AuditCheckpoint | undefined;

  private constructor(options: CheckpointerOptions) {
    this.#file = options.file;
    this.#now = options.now;
    this.#schedule = options.schedule ?? unrefTimer;
    this.#onCheckpoint = options.onCheckpoint;
    this.#onError = options.onError;
  }

  /**
   * Checks the checkpoint file can be written (throws at start otherwise). Open the store with
   * `onAuditAppended` calling `notify`: every appended audit record then schedules a checkpoint.
   */
  static create(options: CheckpointerOptions): AuditCheckpointer {
    ensureCheckpointFile(options.file);
    return new AuditCheckpointer(options);
  }

  /**
   * A record appended to `log` has committed (the store's `onAuditAppended`): schedule a write of
   * the committed head within a second. With several replicas on one database the head may be
   * another replica's record: whichever replica commits anchors the chain as it is then.
   */
  notify(log: Pick<AuditLog, 'auditHead'>): void {
    this.#log = log;
    this.#markDirty();
  }

  #markDirty(): void {
    this.#dirty = true;
    if (this.#closed || this.#cancel !== undefined) return;
    this.#cancel = this.#schedule(() => {
      this.#cancel = undefined;
      this.flush().catch((error: unknown) => {
        this.#onError?.(error);
        this.#markDirty();
      });
    }, CHECKPOINT_INTERVAL_MS);
  }

  /** Writes the committed head now if records were appended and it moved; writes never overlap. */
  flush(): Promise<void> {
    this.#cancel?.();
    this.#cancel = undefined;
    const write = this.#queue.then(() => this.#write());
    this.#queue = write.catch(() => undefined);
    return write;
  }

  /** Stops scheduling and writes the final checkpoint; call before closing the store. */
  close(): Promise<void> {
    this.#closed = true;
    return this.flush();
  }

  async #write(): Promise<void> {
    if (!this.#dirty) return;
    // Cleared before reading the head: a record appended during the write marks it dirty again.
    this.#dirty = false;
    let checkpoint: AuditCheckpoint;
    try {
      const head = await this.#log?.auditHead();
      if (head === undefined || (head.seq === this.#last?.seq && head.mac === this.#last.mac)) return;
      checkpoint = { seq: head.seq, mac: head.mac, time: head.time };
      await appendCheckpoint(this.#file, checkpoint);
    } catch (error) {
      this.#dirty = true;
      throw error;
    }
    this.#last = checkpoint;
    this.#onCheckpoint?.(checkpoint, this.#now());
  }
}
