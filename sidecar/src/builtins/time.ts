import { BuiltinError } from '../errors.js';
import { civilFromDays, civilFromDaysNumber, daysFromCivil, floorDiv, floorMod } from './civil.js';
import { MAX_NS, MIN_NS, parseRfc3339 } from './rfc3339.js';
import { resolveTimeZone, UTC, type TimeZone } from './time-zone.js';

/**
 * OPA's `time.*` built-ins that the WASM target lacks, re-implemented with Go's semantics (OPA's
 * `topdown/time.go`). Arguments arrive as JSON values; nanosecond results are `bigint` so they stay
 * exact (host-builtins.ts hands them to WASM as JSON text). Invalid arguments throw
 * {@link BuiltinError}, as OPA raises a built-in error.
 *
 * Nanosecond arguments may be `number` or `bigint`. From WASM an integer arrives as a `bigint`,
 * exactly (host-builtins.ts). A `number` beyond 2^53 has been rounded to the nearest double; its
 * shortest decimal is read back, so values of up to 15 significant digits (second- and
 * millisecond-precision times, as policies use) are exact over the whole int64 range.
 */

/** Names of the built-ins the engine adds, for comparison with `policies/capabilities.json`. */
export const CUSTOM_BUILTINS = [
  'time.add_date',
  'time.clock',
  'time.date',
  'time.parse_rfc3339_ns',
  'time.weekday',
] as const;

/** One of {@link CUSTOM_BUILTINS}. */
export type CustomBuiltinName = (typeof CUSTOM_BUILTINS)[number];

/** Go's `time.Weekday.String()` values. */
export const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

/** A day of the week as `time.weekday` returns it. */
export type Weekday = (typeof WEEKDAYS)[number];

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400n;
const NS_PER_DAY = NS_PER_SECOND * SECONDS_PER_DAY;
const SECONDS_PER_DAY_NUMBER = 86_400;

/** `time.parse_rfc3339_ns(value)`: nanoseconds since the epoch of an RFC 3339 timestamp. */
export function parseRfc3339Ns(value: unknown): bigint {
  const name = 'time.parse_rfc3339_ns';
  if (typeof value !== 'string') throw new BuiltinError(name, 'operand 1 must be string');
  const result = parseRfc3339(value);
  if (typeof result === 'string') throw new BuiltinError(name, result);
  return result;
}

/** `time.clock(ns | [ns, tz])`: `[hour, minute, second]` of the wall clock in the zone (UTC by default). */
export function clock(value: unknown): [number, number, number] {
  const { secondOfDay } = wallClock('time.clock', value);
  return [Math.floor(secondOfDay / 3600), Math.floor((secondOfDay % 3600) / 60), secondOfDay % 60];
}

/** `time.date(ns | [ns, tz])`: `[year, month, day]` in the zone (UTC by default). */
export function date(value: unknown): [number, number, number] {
  const { day } = wallClock('time.date', value);
  const civil = civilFromDaysNumber(day);
  return [civil.year, civil.month, civil.day];
}

/** `time.weekday(ns | [ns, tz])`: the English day name in the zone (UTC by default). */
export function weekday(value: unknown): Weekday {
  const { day } = wallClock('time.weekday', value);
  return WEEKDAYS[(((day + 4) % 7) + 7) % 7] ?? 'Sunday';
}

/**
 * `time.add_date(ns, years, months, days)`: Go's `Time.AddDate` in UTC. Overflowing months and days
 * roll over (January 31 + 1 month = March 3, or 2 in a leap year); time of day is kept.
 */
export function addDate(ns: unknown, years: unknown, months: unknown, days: unknown): bigint {
  const name = 'time.add_date';
  const instant = toNanoseconds(name, ns);
  const dy = toInteger(name, years, 2);
  const dm = toInteger(name, months, 3);
  const dd = toInteger(name, days, 4);
  const day = floorDiv(instant, NS_PER_DAY);
  const timeOfDay = instant - day * NS_PER_DAY;
  const { year, month, day: dayOfMonth } = civilFromDays(day);
  const monthIndex = month - 1n + dm;
  const result =
    daysFromCivil(year + dy + floorDiv(monthIndex, 12n), floorMod(monthIndex, 12n) + 1n, dayOfMonth + dd) *
      NS_PER_DAY +
    timeOfDay;
  if (result < MIN_NS || result > MAX_NS) throw new BuiltinError(name, 'time outside of valid range');
  return result;
}

/**
 * The local day number and second of that day of an instant in a zone. Seconds of an int64 of
 * nanoseconds are below 2^34, so from there on `number`s are exact.
 */
function wallClock(name: string, value: unknown): { day: number; secondOfDay: number } {
  const { ns, zone } = tzTime(name, value);
  const seconds = Number(floorDiv(ns, NS_PER_SECOND));
  const local = seconds + zone.offsetAt(seconds);
  const day = Math.floor(local / SECONDS_PER_DAY_NUMBER);
  return { day, secondOfDay: local - day * SECONDS_PER_DAY_NUMBER };
}

/** OPA's `tzTime`: a number of nanoseconds, or `[ns]`, `[ns, tz]`, `[ns, tz, layout]`. */
function tzTime(name: string, value: unknown): { ns: bigint; zone: TimeZone } {
  if (!Array.isArray(value)) return { ns: toNanoseconds(name, value), zone: UTC };
  const [ns, tz = '', layout = ''] = value as unknown[];
  if (value.length === 0)
    throw new BuiltinError(name, 'operand 1 must be either number (ns) or [number (ns), string (tz)]');
  if (typeof tz !== 'string') throw new BuiltinError(name, 'operand 1 time zone must be string');
  if (typeof layout !== 'string') throw new BuiltinError(name, 'operand 1 layout must be string');
  const zone = resolveTimeZone(tz);
  if (!zone) throw new BuiltinError(name, `unknown time zone ${tz}`);
  return { ns: toNanoseconds(name, ns), zone };
}

/** An integral number of nanoseconds that fits an int64 (Go: "timestamp too big" otherwise). */
function toNanoseconds(name: string, value: unknown): bigint {
  if (typeof value === 'bigint') {
    if (value < MIN_NS || value > MAX_NS) throw new BuiltinError(name, 'timestamp too big');
    return value;
  }
  if (typeof value !== 'number') throw new BuiltinError(name, 'operand 1 must be number');
  if (!Number.isInteger(value) || Math.abs(value) > 2 ** 63)
    throw new BuiltinError(name, 'timestamp too big');
  const ns = shortestInteger(value);
  if (ns >= MIN_NS && ns <= MAX_NS) return ns;
  const exact = BigInt(value);
  if (exact < MIN_NS || exact > MAX_NS) throw new BuiltinError(name, 'timestamp too big');
  return exact;
}

/**
 * The integer with the fewest significant digits that rounds to `value`, which is the integer OPA
 * had when it had at most 15: `JSON.parse` rounds beyond 2^53 (whole seconds after 2116 and before
 * 1823 to ±512 ns, across a second boundary).
 */
function shortestInteger(value: number): bigint {
  return BigInt(String(value));
}

function toInteger(name: string, value: unknown, position: number): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number') throw new BuiltinError(name, `operand ${position} must be number`);
  if (!Number.isSafeInteger(value))
    throw new BuiltinError(name, `operand ${position} must be integer number`);
  return BigInt(value);
}
