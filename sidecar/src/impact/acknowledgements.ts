import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ImpactError } from './errors.js';

/**
 * The changes a policy change is expected to make, as an acknowledgement file lists them (`--accept`):
 * a YAML or JSON list of strings, each a decision id (`<id>` for every decision of an event,
 * `<id>#<n>` for one element of a batch, `line:<n>` for an unreadable log line) or an
 * `action/reason` pattern such as `transactions:approve/approval_limit_exceeded`, where `*` matches
 * any run of characters on either side. A change is acknowledged when its id is listed or every
 * reason it is filed under matches a pattern for its action.
 */
export class Acknowledgements {
  readonly #ids = new Map<string, string>();
  readonly #patterns: { readonly entry: string; readonly action: RegExp; readonly reason: RegExp }[] = [];
  readonly #used = new Set<string>();
  readonly entries: readonly string[];

  constructor(entries: readonly string[]) {
    this.entries = entries;
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      if (slash === -1) {
        this.#ids.set(entry, entry);
        continue;
      }
      this.#patterns.push({
        entry,
        action: glob(entry.slice(0, slash)),
        reason: glob(entry.slice(slash + 1)),
      });
    }
  }

  /** Reads an acknowledgement file; a missing file or a malformed list is an {@link ImpactError}. */
  static async fromFile(path: string): Promise<Acknowledgements> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new ImpactError('unreadable_file', `--accept: cannot read ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (error) {
      throw new ImpactError(
        'bad_argument',
        `--accept: ${path} is not YAML or JSON: ${(error as Error).message}`,
      );
    }
    if (parsed === null || parsed === undefined) return new Acknowledgements([]);
    if (!Array.isArray(parsed))
      throw new ImpactError(
        'bad_argument',
        `--accept: ${path} must hold a list of decision ids or action/reason patterns`,
      );
    const entries: string[] = [];
    for (const [index, entry] of (parsed as unknown[]).entries()) {
      if (typeof entry !== 'string' || entry.trim() === '')
        throw new ImpactError(
          'bad_argument',
          `--accept: ${path}: entry ${index + 1} is not a non-empty string`,
        );
      entries.push(entry.trim());
    }
    return new Acknowledgements(entries);
  }

  /**
   * Whether the decision `id` (of the event `eventId`) with `action`, filed under `reasons`, is
   * acknowledged; the entries that acknowledge it are marked used.
   */
  covers(id: string, eventId: string, action: string, reasons: readonly string[]): boolean {
    const byId = this.#ids.get(id) ?? this.#ids.get(eventId);
    if (byId !== undefined) {
      this.#used.add(byId);
      return true;
    }
    const matching: string[] = [];
    for (const reason of reasons) {
      const pattern = this.#patterns.find((p) => p.action.test(action) && p.reason.test(reason));
      if (pattern === undefined) return false;
      matching.push(pattern.entry);
    }
    if (matching.length === 0) return false;
    for (const entry of matching) this.#used.add(entry);
    return true;
  }

  /** The entries that acknowledged nothing (stale, or a typo). */
  unused(): string[] {
    return this.entries.filter((entry) => !this.#used.has(entry));
  }
}

function glob(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.+?()[\]{}|]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}
