/** A time zone: how far its wall clock is ahead of UTC at an instant. */
export interface TimeZone {
  /** The name it was resolved from (`UTC` for `''`, `UTC` and `Local`). */
  readonly name: string;
  /** Offset from UTC in seconds at `epochSeconds` (seconds since 1970-01-01T00:00:00Z). */
  offsetAt(epochSeconds: number): number;
}

/** The zone of `''`, `"UTC"` and, here, `"Local"`. */
export const UTC: TimeZone = { name: 'UTC', offsetAt: () => 0 };

const canonicalNames = new Set(Intl.supportedValuesOf('timeZone'));
const canonicalByLowerCase = new Map([...canonicalNames].map((name) => [name.toLowerCase(), name]));
const zones = new Map<string, TimeZone>();

/**
 * Resolves a zone name as OPA's `time.*` built-ins do (Go's `time.LoadLocation`), with the IANA data
 * that ships with Node's ICU.
 *
 * - `''` and `'UTC'` are UTC, as in Go.
 * - `'Local'` is UTC as well: the engine has no local zone (Go would use the host's), so policies
 *   must name a zone; `opa eval` gives the same answers when run with `TZ=UTC`.
 * - Other names must be IANA names Intl knows. Go looks names up case-sensitively, so a canonical
 *   name in the wrong case (`europe/berlin`) is refused; legacy aliases (`US/Eastern`) are accepted
 *   when every segment starts with a capital letter, which approximates the same rule.
 *
 * Returns `undefined` for an unknown zone.
 */
export function resolveTimeZone(name: string): TimeZone | undefined {
  if (name === '' || name === 'UTC' || name === 'Local') return UTC;
  const cached = zones.get(name);
  if (cached) return cached;
  if (!isPlausibleName(name)) return undefined;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    return undefined;
  }
  const zone = new IntlTimeZone(name, format);
  zones.set(name, zone);
  return zone;
}

function isPlausibleName(name: string): boolean {
  if (canonicalNames.has(name)) return true;
  if (canonicalByLowerCase.has(name.toLowerCase())) return false;
  return name.split('/').every((segment) => /^[A-Z]/.test(segment));
}

/** Seconds in one offset bucket: a UTC hour. */
const BUCKET_SECONDS = 3600;

/** Buckets kept per zone before the cache starts over; a long-running process asks for a few a day. */
const MAX_BUCKETS = 4096;

/**
 * One UTC hour of a zone: the offset at its first second and, when the offset changes inside the
 * hour, the first second of the new offset (`Infinity` when it does not change).
 */
interface Bucket {
  readonly before: number;
  readonly changeAt: number;
  readonly after: number;
}

/** The bucket of an hour with more than one change, read from Intl on every call. */
const UNCACHED: Bucket = { before: Number.NaN, changeAt: Number.NaN, after: Number.NaN };

/**
 * A zone whose offsets Intl answers. Offsets change only at transitions, so each UTC hour asked for
 * is read once (two `formatToParts` calls at its ends, a binary search for the second of a
 * transition inside it) and kept. Exact unless a zone changes its offset and back within one hour,
 * which the IANA data does not do.
 */
class IntlTimeZone implements TimeZone {
  readonly #format: Intl.DateTimeFormat;
  readonly #buckets = new Map<number, Bucket>();

  constructor(
    readonly name: string,
    format: Intl.DateTimeFormat,
  ) {
    this.#format = format;
  }

  offsetAt(epochSeconds: number): number {
    const index = Math.floor(epochSeconds / BUCKET_SECONDS);
    let bucket = this.#buckets.get(index);
    if (!bucket) {
      bucket = this.#read(index * BUCKET_SECONDS);
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear();
      this.#buckets.set(index, bucket);
    }
    if (bucket === UNCACHED) return offsetFromWallClock(this.#format, epochSeconds);
    return epochSeconds < bucket.changeAt ? bucket.before : bucket.after;
  }

  #read(start: number): Bucket {
    const before = offsetFromWallClock(this.#format, start);
    const last = start + BUCKET_SECONDS - 1;
    const after = offsetFromWallClock(this.#format, last);
    if (after === before) return { before, changeAt: Number.POSITIVE_INFINITY, after };
    // The first second whose offset is no longer `before`: low keeps `before`, high does not.
    let low = start;
    let high = last;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offsetFromWallClock(this.#format, middle) === before) low = middle;
      else high = middle;
    }
    // A second change inside the same hour: not cached, every second of it asks Intl.
    if (offsetFromWallClock(this.#format, high) !== after) return UNCACHED;
    return { before, changeAt: high, after };
  }
}

/** The wall-clock time Intl shows for the instant, read back as if it were UTC, minus the instant. */
function offsetFromWallClock(format: Intl.DateTimeFormat, epochSeconds: number): number {
  let year = Number.NaN;
  let month = Number.NaN;
  let day = Number.NaN;
  let hour = Number.NaN;
  let minute = Number.NaN;
  let second = Number.NaN;
  for (const part of format.formatToParts(epochSeconds * 1000)) {
    if (part.type === 'year') year = Number(part.value);
    else if (part.type === 'month') month = Number(part.value);
    else if (part.type === 'day') day = Number(part.value);
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'second') second = Number(part.value);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - epochSeconds;
}
