import test from 'ava';
import {
  addDate,
  clock,
  CUSTOM_BUILTINS,
  date,
  parseRfc3339Ns,
  weekday,
  type Weekday,
} from '../../src/builtins/time.js';
import { BuiltinError } from '../../src/errors.js';

/** Nanoseconds of a UTC wall time, computed independently of the code under test (Date.UTC). */
function utcNs(iso: string, nanos = 0n): bigint {
  return BigInt(Date.parse(iso)) * 1_000_000n + nanos;
}

test('the engine provides exactly the five time built-ins the policies use', (t) => {
  t.deepEqual(
    [...CUSTOM_BUILTINS],
    ['time.add_date', 'time.clock', 'time.date', 'time.parse_rfc3339_ns', 'time.weekday'],
  );
});

const parseCases: readonly (readonly [string, bigint])[] = [
  ['2026-11-23T10:00:00Z', utcNs('2026-11-23T10:00:00Z')],
  ['2026-11-23T10:00:00+02:00', utcNs('2026-11-23T08:00:00Z')],
  ['2026-11-23T10:00:00-05:30', utcNs('2026-11-23T15:30:00Z')],
  ['2026-11-23T00:30:00+01:00', utcNs('2026-11-22T23:30:00Z')],
  ['2026-11-23T10:00:00.5Z', utcNs('2026-11-23T10:00:00Z', 500_000_000n)],
  ['2026-11-23T10:00:00.123456789Z', utcNs('2026-11-23T10:00:00Z', 123_456_789n)],
  ['2026-11-23T10:00:00.1234567899999Z', utcNs('2026-11-23T10:00:00Z', 123_456_789n)],
  ['2026-11-23T10:00:00,25Z', utcNs('2026-11-23T10:00:00Z', 250_000_000n)],
  ['2026-11-23T9:00:00Z', utcNs('2026-11-23T09:00:00Z')],
  ['2026-11-23T10:00:00+24:00', utcNs('2026-11-22T10:00:00Z')],
  ['2024-02-29T12:00:00Z', utcNs('2024-02-29T12:00:00Z')],
  ['1970-01-01T00:00:00Z', 0n],
  ['1969-12-31T23:59:59.999999999Z', -1n],
  ['2262-04-11T23:47:16Z', utcNs('2262-04-11T23:47:16Z')],
];

for (const [text, expected] of parseCases) {
  test(`time.parse_rfc3339_ns(${JSON.stringify(text)}) = ${expected}`, (t) => {
    t.is(parseRfc3339Ns(text), expected);
  });
}

const badTimestamps: readonly (readonly [unknown, RegExp])[] = [
  ['2026-02-29T12:00:00Z', /day out of range/],
  ['2026-04-31T12:00:00Z', /day out of range/],
  ['2026-13-01T12:00:00Z', /month out of range/],
  ['2026-11-23T24:00:00Z', /hour out of range/],
  ['2026-11-23T10:60:00Z', /minute out of range/],
  ['2026-11-23T23:59:60Z', /second out of range/],
  ['2026-11-23T10:00:00+25:00', /offset hour out of range/],
  ['2026-11-23T10:00:00+02:61', /offset minute out of range/],
  ['2026-11-23t10:00:00Z', /cannot parse/],
  ['2026-11-23T10:00:00z', /cannot parse/],
  ['2026-11-23 10:00:00Z', /cannot parse/],
  ['2026-11-23T10:00:00', /cannot parse/],
  ['2026-11-23T10:00:00.Z', /cannot parse/],
  ['2026-11-23T10:00:00+0200', /cannot parse/],
  ['2026-11-23', /cannot parse/],
  ['', /cannot parse/],
  ['1677-09-21T00:12:43Z', /time outside of valid range/],
  ['2262-04-11T23:47:17Z', /time outside of valid range/],
  [1_795_428_000, /operand 1 must be string/],
];

for (const [value, message] of badTimestamps) {
  test(`time.parse_rfc3339_ns(${JSON.stringify(value)}) throws builtin_failed (${message.source})`, (t) => {
    const error = t.throws(() => parseRfc3339Ns(value), { instanceOf: BuiltinError, message });
    t.is(error.code, 'builtin_failed');
    t.is(error.builtin, 'time.parse_rfc3339_ns');
  });
}

interface WallCase {
  readonly at: string;
  readonly tz: string;
  readonly clock: readonly [number, number, number];
  readonly date: readonly [number, number, number];
  readonly weekday: Weekday;
}

// Daylight-saving changes in 2026: Europe/Berlin 03-29 01:00Z (+1→+2) and 10-25 01:00Z (+2→+1);
// America/New_York 03-08 07:00Z (-5→-4) and 11-01 06:00Z (-4→-5).
const wallCases: readonly WallCase[] = [
  {
    at: '2026-03-29T00:59:59Z',
    tz: 'Europe/Berlin',
    clock: [1, 59, 59],
    date: [2026, 3, 29],
    weekday: 'Sunday',
  },
  {
    at: '2026-03-29T01:00:00Z',
    tz: 'Europe/Berlin',
    clock: [3, 0, 0],
    date: [2026, 3, 29],
    weekday: 'Sunday',
  },
  {
    at: '2026-10-25T00:59:59Z',
    tz: 'Europe/Berlin',
    clock: [2, 59, 59],
    date: [2026, 10, 25],
    weekday: 'Sunday',
  },
  {
    at: '2026-10-25T01:00:00Z',
    tz: 'Europe/Berlin',
    clock: [2, 0, 0],
    date: [2026, 10, 25],
    weekday: 'Sunday',
  },
  {
    at: '2026-03-27T07:30:00Z',
    tz: 'Europe/Berlin',
    clock: [8, 30, 0],
    date: [2026, 3, 27],
    weekday: 'Friday',
  },
  {
    at: '2026-03-30T07:30:00Z',
    tz: 'Europe/Berlin',
    clock: [9, 30, 0],
    date: [2026, 3, 30],
    weekday: 'Monday',
  },
  {
    at: '2026-12-31T23:30:00Z',
    tz: 'Europe/Berlin',
    clock: [0, 30, 0],
    date: [2027, 1, 1],
    weekday: 'Friday',
  },
  {
    at: '2026-03-08T06:59:59Z',
    tz: 'America/New_York',
    clock: [1, 59, 59],
    date: [2026, 3, 8],
    weekday: 'Sunday',
  },
  {
    at: '2026-03-08T07:00:00Z',
    tz: 'America/New_York',
    clock: [3, 0, 0],
    date: [2026, 3, 8],
    weekday: 'Sunday',
  },
  {
    at: '2026-11-01T05:59:59Z',
    tz: 'America/New_York',
    clock: [1, 59, 59],
    date: [2026, 11, 1],
    weekday: 'Sunday',
  },
  {
    at: '2026-11-01T06:00:00Z',
    tz: 'America/New_York',
    clock: [1, 0, 0],
    date: [2026, 11, 1],
    weekday: 'Sunday',
  },
  {
    at: '2026-11-23T03:00:00Z',
    tz: 'America/New_York',
    clock: [22, 0, 0],
    date: [2026, 11, 22],
    weekday: 'Sunday',
  },
  {
    at: '2026-11-23T23:30:00Z',
    tz: 'Asia/Tokyo',
    clock: [8, 30, 0],
    date: [2026, 11, 24],
    weekday: 'Tuesday',
  },
  {
    at: '2026-11-23T10:00:00Z',
    tz: 'Asia/Kolkata',
    clock: [15, 30, 0],
    date: [2026, 11, 23],
    weekday: 'Monday',
  },
  { at: '2026-11-23T10:00:00Z', tz: 'US/Eastern', clock: [5, 0, 0], date: [2026, 11, 23], weekday: 'Monday' },
  { at: '2026-11-23T23:30:00Z', tz: '', clock: [23, 30, 0], date: [2026, 11, 23], weekday: 'Monday' },
  { at: '2026-11-23T23:30:00Z', tz: 'UTC', clock: [23, 30, 0], date: [2026, 11, 23], weekday: 'Monday' },
  { at: '2026-11-23T23:30:00Z', tz: 'Local', clock: [23, 30, 0], date: [2026, 11, 23], weekday: 'Monday' },
  { at: '1969-12-31T23:59:59Z', tz: 'UTC', clock: [23, 59, 59], date: [1969, 12, 31], weekday: 'Wednesday' },
];

for (const c of wallCases) {
  test(`${c.at} in ${JSON.stringify(c.tz)} → clock ${c.clock.join(':')}, date ${c.date.join('-')}, ${c.weekday}`, (t) => {
    const ns = Number(utcNs(c.at));
    t.deepEqual(clock([ns, c.tz]), c.clock);
    t.deepEqual(date([ns, c.tz]), c.date);
    t.is(weekday([ns, c.tz]), c.weekday);
  });
}

test('a bare number of nanoseconds is UTC, like [ns] and [ns, ""]', (t) => {
  const ns = Number(utcNs('2026-03-29T01:00:00Z'));
  t.deepEqual(clock(ns), [1, 0, 0]);
  t.deepEqual(clock([ns]), [1, 0, 0]);
  t.deepEqual(date(ns), [2026, 3, 29]);
  t.is(weekday(ns), 'Sunday');
});

test('nanoseconds are floored to the second, also before 1970 (bigint input stays exact)', (t) => {
  t.deepEqual(clock(-1n), [23, 59, 59]);
  t.deepEqual(date(-1n), [1969, 12, 31]);
  t.deepEqual(clock(utcNs('2026-11-23T10:00:00Z', 999_999_999n)), [10, 0, 0]);
  t.deepEqual(clock([utcNs('2026-11-23T10:00:00Z') - 1n, 'Europe/Berlin']), [10, 59, 59]);
});

test('a third array element (time.format layout) must be a string and is otherwise ignored', (t) => {
  t.deepEqual(clock([0, 'UTC', 'RFC3339']), [0, 0, 0]);
  t.throws(() => clock([0, 'UTC', 1]), { instanceOf: BuiltinError, message: /layout must be string/ });
});

const badTimes: readonly (readonly [string, unknown, RegExp])[] = [
  ['unknown zone', [0, 'Mars/Olympus'], /^time\.clock: unknown time zone Mars\/Olympus$/],
  ['canonical zone in the wrong case', [0, 'europe/berlin'], /unknown time zone europe\/berlin/],
  ['lower-case utc', [0, 'utc'], /unknown time zone utc/],
  ['path traversal as zone', [0, '../../etc/passwd'], /unknown time zone/],
  ['numeric offset as zone', [0, '+01:00'], /unknown time zone/],
  ['zone not a string', [0, 1], /time zone must be string/],
  ['empty array', [], /either number \(ns\) or \[number \(ns\), string \(tz\)\]/],
  ['string nanoseconds', ['0'], /must be number/],
  ['fractional nanoseconds', 1.5, /timestamp too big/],
  ['nanoseconds beyond int64', 2 ** 63, /timestamp too big/],
  ['an object', { ns: 0 }, /must be number/],
];

for (const [label, value, message] of badTimes) {
  test(`time.clock with ${label} throws builtin_failed`, (t) => {
    const error = t.throws(() => clock(value), { instanceOf: BuiltinError, message });
    t.is(error.code, 'builtin_failed');
  });
}

test('time.date and time.weekday reject an unknown zone with their own name', (t) => {
  t.throws(() => date([0, 'Nowhere/Land']), {
    instanceOf: BuiltinError,
    message: /^time\.date: unknown time zone/,
  });
  t.throws(() => weekday([0, 'Nowhere/Land']), {
    instanceOf: BuiltinError,
    message: /^time\.weekday: unknown/,
  });
});

const addCases: readonly (readonly [string, number, number, number, string])[] = [
  ['2026-01-31T10:00:00Z', 0, 1, 0, '2026-03-03T10:00:00Z'],
  ['2024-01-31T10:00:00Z', 0, 1, 0, '2024-03-02T10:00:00Z'],
  ['2024-02-29T00:00:00Z', 1, 0, 0, '2025-03-01T00:00:00Z'],
  ['2026-03-31T08:00:00Z', 0, -1, 0, '2026-03-03T08:00:00Z'],
  ['2026-03-01T00:00:00Z', 0, 0, -1, '2026-02-28T00:00:00Z'],
  ['2026-03-28T12:00:00Z', 0, 0, 1, '2026-03-29T12:00:00Z'],
  ['2026-11-23T10:00:00Z', 0, 0, -30, '2026-10-24T10:00:00Z'],
  ['2026-11-23T10:00:00Z', 0, 12, 0, '2027-11-23T10:00:00Z'],
  ['2026-11-23T10:00:00Z', 0, -13, 0, '2025-10-23T10:00:00Z'],
  ['2026-11-23T10:00:00Z', 1, -12, 365, '2027-11-23T10:00:00Z'],
  ['1970-01-01T00:00:00Z', 0, 0, -1, '1969-12-31T00:00:00Z'],
];

for (const [from, years, months, days, to] of addCases) {
  test(`time.add_date(${from}, ${years}, ${months}, ${days}) = ${to}`, (t) => {
    t.is(addDate(Number(utcNs(from)), years, months, days), utcNs(to));
  });
}

test('time.add_date keeps nanoseconds exactly for bigint input', (t) => {
  t.is(
    addDate(utcNs('2026-01-31T10:00:00Z', 123_456_789n), 0, 1, 0),
    utcNs('2026-03-03T10:00:00Z', 123_456_789n),
  );
});

test('time.add_date beyond int64 nanoseconds, or with non-integer counts, throws builtin_failed', (t) => {
  const ns = Number(utcNs('2026-11-23T10:00:00Z'));
  t.throws(() => addDate(ns, 300, 0, 0), {
    instanceOf: BuiltinError,
    message: /time outside of valid range/,
  });
  t.throws(() => addDate(ns, 0, 0.5, 0), {
    instanceOf: BuiltinError,
    message: /operand 3 must be integer number/,
  });
  t.throws(() => addDate(ns, 0, 0, '1'), { instanceOf: BuiltinError, message: /operand 4 must be number/ });
  t.throws(() => addDate('now', 0, 0, 0), { instanceOf: BuiltinError, message: /operand 1 must be number/ });
});
