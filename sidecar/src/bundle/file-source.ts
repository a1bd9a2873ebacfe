import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { BundleManager } from './bundle-manager.js';

/** Options of {@link FileBundleSource}. */
export interface FileBundleSourceOptions {
  /** How often the file is stat'ed when no watch event arrives (`BUNDLE_POLL_S`). */
  readonly pollMs: number;
  /** Quiet time after a watch event before the file is read (default 100 ms), so a write can finish. */
  readonly debounceMs?: number;
}

/**
 * `BUNDLE_PATH`: the bundle file is watched (its directory, so an atomic rename is seen) and stat'ed
 * every `pollMs` as a fallback for file systems without events. A change of size, mtime or inode
 * reloads it; a file that stays the same is never read twice.
 */
export class FileBundleSource {
  readonly #path: string;
  readonly #manager: BundleManager;
  readonly #options: FileBundleSourceOptions;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #seen: string | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(path: string, manager: BundleManager, options: FileBundleSourceOptions) {
    this.#path = path;
    this.#manager = manager;
    this.#options = options;
  }

  /** Loads the file once, then watches it. */
  async start(): Promise<void> {
    await this.check();
    try {
      this.#watcher = watch(dirname(this.#path), (_event, file) => {
        if (file === null || file === basename(this.#path)) this.#changed();
      });
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch {
      // No watch support here: the periodic stat below still sees every change.
    }
    this.#poll = setInterval(() => void this.check(), this.#options.pollMs);
    this.#poll.unref();
  }

  stop(): Promise<void> {
    this.#stopped = true;
    this.#watcher?.close();
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    return this.#running ?? Promise.resolve();
  }

  /** Reads and activates the file if it changed since the last look; checks never overlap. */
  check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#check().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.check();
      }
    });
    return this.#running;
  }

  #changed(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.check(), this.#options.debounceMs ?? 100);
    this.#debounce.unref();
  }

  async #check(): Promise<void> {
    let key: string;
    let bytes: Buffer;
    try {
      const info = await stat(this.#path);
      key = `${info.ino}:${info.size}:${info.mtimeMs}`;
      if (key === this.#seen) return;
      bytes = await readFile(this.#path);
    } catch (error) {
      if (this.#seen !== 'unreadable') this.#manager.reportFailure('unreadable', error, this.#path);
      this.#seen = 'unreadable';
      return;
    }
    this.#seen = key;
    await this.#manager.activate(bytes, this.#path);
  }
}
