import { daysFromCivilNumber, daysInMonth } from './civil.js';

/** Smallest and largest instants an int64 of nanoseconds holds, the range OPA's `time.*` results must fit. */
export const MIN_NS = -(2n ** 63n);
export const MAX_NS = 2n ** 63n - 1n;

// Go's time.Parse(time.RFC3339, s): its fast path, and the layout parser it falls back to, which
// also takes a one-digit hour, ',' before the fraction and zone offsets up to +24:00 / +23:60.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp exactly as Go's `time.Parse(time.RFC3339, …)` does (the parser behind
 * OPA's `time.parse_rfc3339_ns`) and returns nanoseconds since the Unix epoch. Digits past the ninth
 * of a fraction are dropped, not rounded, as Go does. Returns a reason string when Go would fail.
 */
export function parseRfc3339(text: string): bigint | string {
  const match = RFC3339.exec(text);
  if (!match) return `cannot parse ${JSON.stringify(text)} as RFC 3339`;
  const [, y, mo, d, h, mi, s, fraction = '', sign, offsetHours = '0', offsetMinutes = '0'] = match;
  // Four-digit years: every field and the seconds since the epoch are exact in a number.
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) return 'month out of range';
  if (hour > 23) return 'hour out of range';
  if (minute > 59) return 'minute out of range';
  if (second > 59) return 'second out of range';
  if (day < 1 || day > daysInMonth(year, month)) return 'day out of range';
  const zoneHours = Number(offsetHours);
  const zoneMinutes = Number(offsetMinutes);
  if (zoneHours > 24) return 'time zone offset hour out of range';
  if (zoneMinutes > 60) return 'time zone offset minute out of range';
  const offset = (sign === '-' ? -1 : 1) * (zoneHours * 3600 + zoneMinutes * 60);

  const nanos = Number(fraction.slice(0, 9).padEnd(9, '0'));
  const seconds = daysFromCivilNumber(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  const ns = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
  if (ns < MIN_NS || ns > MAX_NS) return 'time outside of valid range';
  return ns;
}
