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
  const zone: TimeZone = { name, offsetAt: (epochSeconds) => offsetFromWallClock(format, epochSeconds) };
  zones.set(name, zone);
  return zone;
}

function isPlausibleName(name: string): boolean {
  if (canonicalNames.has(name)) return true;
  if (canonicalByLowerCase.has(name.toLowerCase())) return false;
  return name.split('/').every((segment) => /^[A-Z]/.test(segment));
}

/** The wall-clock time Intl shows for the instant, read back as if it were UTC, minus the instant. */
function offsetFromWallClock(format: Intl.DateTimeFormat, epochSeconds: number): number {
  const fields = new Map<string, number>();
  for (const part of format.formatToParts(new Date(epochSeconds * 1000))) {
    if (part.type !== 'literal') fields.set(part.type, Number(part.value));
  }
  const field = (type: string): number => fields.get(type) ?? Number.NaN;
  const wall = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return wall / 1000 - epochSeconds;
}
