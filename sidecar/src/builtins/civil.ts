/**
 * Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01), in `bigint` so
 * that no input Go's `time` package accepts can lose precision. Algorithms: H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms".
 */

/** A calendar date; `month` is 1–12. */
export interface CivilDate {
  readonly year: bigint;
  readonly month: bigint;
  readonly day: bigint;
}

/** Floor division, as Go's time package needs for instants before 1970. */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Modulo with the sign of the divisor. */
export function floorMod(a: bigint, b: bigint): bigint {
  return a - floorDiv(a, b) * b;
}

/** Day number of a date; `day` may lie outside the month (it is added as an offset, like Go's `time.Date`). */
export function daysFromCivil(year: bigint, month: bigint, day: bigint): bigint {
  const y = month <= 2n ? year - 1n : year;
  const era = floorDiv(y, 400n);
  const yoe = y - era * 400n;
  const mp = (month + 9n) % 12n;
  const doy = (153n * mp + 2n) / 5n;
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy;
  return era * 146097n + doe - 719468n + (day - 1n);
}

/** The date of a day number. */
export function civilFromDays(days: bigint): CivilDate {
  const z = days + 719468n;
  const era = floorDiv(z, 146097n);
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const day = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  return { year: yoe + era * 400n + (month <= 2n ? 1n : 0n), month, day };
}

/** Days in a month of a year (Gregorian leap years). */
export function daysInMonth(year: bigint, month: bigint): bigint {
  if (month === 2n) return year % 4n === 0n && (year % 100n !== 0n || year % 400n === 0n) ? 29n : 28n;
  return month === 4n || month === 6n || month === 9n || month === 11n ? 30n : 31n;
}
