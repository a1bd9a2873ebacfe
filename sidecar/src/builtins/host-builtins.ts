import type { HostBuiltin } from '../wasm-policy.js';
import { addDate, clock, date, parseRfc3339Ns, weekday, type CustomBuiltinName } from './time.js';

/**
 * The custom built-ins in the form the engine's WASM host calls them: arguments and result as JSON
 * text. A nanosecond argument, alone or first in `[ns, tz]`, is read as a `bigint` from its digits,
 * so it is exact over the whole int64 range (`JSON.parse` would round it beyond 2^53, and is slow on
 * such numbers); nanosecond results are written as their decimal digits, exact as well.
 */
export function hostBuiltins(): Record<CustomBuiltinName, HostBuiltin> {
  return {
    'time.add_date': (ns, years, months, days) =>
      addDate(nanoseconds(ns), JSON.parse(years), JSON.parse(months), JSON.parse(days)).toString(),
    'time.clock': (value) => numbers(clock(nanoseconds(value))),
    'time.date': (value) => numbers(date(nanoseconds(value))),
    'time.parse_rfc3339_ns': (value) => parseRfc3339Ns(JSON.parse(value)).toString(),
    'time.weekday': (value) => `"${weekday(nanoseconds(value))}"`,
  };
}

const INTEGER = /^-?[0-9]+$/;
const LEADING_INTEGER = /^\[(-?[0-9]+)[,\]]/;
// `[ns,"Zone/Name"]` as OPA dumps it (no spaces), for a zone name that needs no JSON escape.
const INTEGER_AND_ZONE = /^\[(-?[0-9]+),"([A-Za-z0-9_+\-/]*)"\]$/;

/**
 * A built-in's time argument: a number, or an array whose first element is one (`[ns, tz]`), with
 * an integer as a `bigint`. Anything else as `JSON.parse` gives it, for the built-in to refuse.
 */
function nanoseconds(json: string): unknown {
  if (INTEGER.test(json)) return BigInt(json);
  const zoned = INTEGER_AND_ZONE.exec(json);
  if (zoned?.[1] !== undefined) return [BigInt(zoned[1]), zoned[2]];
  const value: unknown = JSON.parse(json);
  const leading = LEADING_INTEGER.exec(json);
  if (leading?.[1] !== undefined && Array.isArray(value)) value[0] = BigInt(leading[1]);
  return value;
}

/** A JSON array of three small integers. */
function numbers([a, b, c]: readonly [number, number, number]): string {
  return `[${a},${b},${c}]`;
}
