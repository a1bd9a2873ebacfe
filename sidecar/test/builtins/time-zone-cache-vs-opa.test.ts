import test from 'ava';
import { Engine } from '../../src/engine.js';
import { buildWasmBundle, opaEval, tempDir } from '../helpers/opa.js';

// The engine caches each zone's offset per UTC hour and binary-searches a transition inside an
// hour (time-zone.ts). These cases sit where that cache could go wrong — one second before, at and
// after a transition, in both directions, at transitions in the middle of a UTC hour (30-minute
// offsets), in the southern hemisphere, and in the first and last years the policies accept
// (1800–2261) — and the WASM answers must equal `opa eval`'s, as in time-wasm-vs-opa.test.ts.

let engine: Engine;
test.before(async () => {
  const dir = await tempDir();
  try {
    engine = await Engine.fromFile(await buildWasmBundle(dir.path));
  } finally {
    await dir.remove();
  }
});

/** Transitions (the first second of the new offset, UTC) and the offsets around them. */
const transitions: readonly (readonly [zone: string, at: string, change: string])[] = [
  ['Europe/Berlin', '2026-03-29T01:00:00Z', '+01:00 → +02:00'],
  ['Europe/Berlin', '2026-10-25T01:00:00Z', '+02:00 → +01:00'],
  ['Europe/Berlin', '2261-03-31T01:00:00Z', '+01:00 → +02:00'],
  ['Europe/Berlin', '2261-10-27T01:00:00Z', '+02:00 → +01:00'],
  ['America/New_York', '2026-03-08T07:00:00Z', '-05:00 → -04:00'],
  ['America/New_York', '2026-11-01T06:00:00Z', '-04:00 → -05:00'],
  ['America/New_York', '2261-03-10T07:00:00Z', '-05:00 → -04:00'],
  ['America/New_York', '2261-11-03T06:00:00Z', '-04:00 → -05:00'],
  ['America/New_York', '1918-03-31T07:00:00Z', '-05:00 → -04:00'],
  ['America/New_York', '1883-11-18T17:00:00Z', 'LMT -04:56:02 → -05:00'],
  ['Australia/Adelaide', '2026-04-04T16:30:00Z', '+10:30 → +09:30'],
  ['Australia/Adelaide', '2026-10-03T16:30:00Z', '+09:30 → +10:30'],
  ['Australia/Adelaide', '2261-04-06T16:30:00Z', '+10:30 → +09:30'],
  ['Australia/Adelaide', '2261-10-05T16:30:00Z', '+09:30 → +10:30'],
  ['Australia/Lord_Howe', '2026-04-04T15:00:00Z', '+11:00 → +10:30'],
  ['Australia/Lord_Howe', '2026-10-03T15:30:00Z', '+10:30 → +11:00'],
  ['America/Santiago', '2026-04-05T03:00:00Z', '-03:00 → -04:00'],
  ['America/Santiago', '2026-09-06T04:00:00Z', '-04:00 → -03:00'],
  ['Asia/Kolkata', '1941-09-30T18:30:00Z', '+05:30 → +06:30'],
  ['Asia/Kolkata', '1945-10-14T17:30:00Z', '+06:30 → +05:30'],
];

/** Instants without a transition where a 30-minute offset moves the local date or hour. */
const quiet: readonly (readonly [zone: string, at: string])[] = [
  ['Asia/Kolkata', '2026-11-23T18:29:59Z'],
  ['Asia/Kolkata', '2026-11-23T18:30:00Z'],
  ['Asia/Kolkata', '2026-11-23T18:59:59Z'],
  ['Australia/Adelaide', '2026-06-30T14:29:59Z'],
  ['Australia/Adelaide', '2026-06-30T14:30:00Z'],
  ['Australia/Adelaide', '2026-12-31T13:29:59Z'],
  ['Australia/Adelaide', '2026-12-31T13:30:00Z'],
];

/** The first and last seconds of the years the policies accept, in every zone above. */
const extremes = ['1800-01-01T00:00:00Z', '1800-01-01T00:00:01Z', '2261-12-31T23:59:59Z'];

function shifted(at: string, seconds: number): string {
  return new Date(Date.parse(at) + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

const zones = [...new Set(transitions.map(([zone]) => zone))];
const cases = [
  ...transitions.flatMap(([tz, at]) => [-1, 0, 1].map((s) => ({ at: shifted(at, s), tz }))),
  ...quiet.map(([tz, at]) => ({ at, tz })),
  ...extremes.flatMap((at) => zones.map((tz) => ({ at, tz }))),
].map((c) => ({ ...c, years: 0, months: 0, days: 0 }));

test(`clock, date and weekday agree with opa eval one second around ${transitions.length} transitions, at 30-minute offsets and in 1800 and 2261 (${cases.length} cases)`, async (t) => {
  const expected = await opaEval('data.fixture.time.facts', { cases }, true);
  if (!expected.ok) return t.fail(expected.output);
  t.is((expected.value as unknown[]).length, cases.length);
  t.deepEqual(engine.evaluate('fixture/time/facts', { cases }), expected.value);
});

test('each listed transition is one: the wall clock one second before it and at it are not one second apart', (t) => {
  // Guards the table above: if an instant were not a transition, the cases around it would test
  // nothing the cache does. The clock one second before and at it must differ by more than 1 s.
  const input = {
    cases: transitions.flatMap(([tz, at]) =>
      [-1, 0].map((s) => ({ at: shifted(at, s), tz, years: 0, months: 0, days: 0 })),
    ),
  };
  const facts = engine.evaluate('fixture/time/facts', input) as { clock: [number, number, number] }[];
  for (let i = 0; i < transitions.length; i++) {
    const before = facts[2 * i]?.clock ?? [0, 0, 0];
    const at = facts[2 * i + 1]?.clock ?? [0, 0, 0];
    const seconds = ([h, m, s]: readonly number[]) => (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
    const step = (((seconds(at) - seconds(before)) % 86400) + 86400) % 86400;
    t.not(step, 1, `${transitions[i]?.join(' ')}`);
  }
});

test('odd whole seconds beyond 2^62 ns (after 2116, before 1823) keep their second and nanoseconds in WASM, as in opa eval', async (t) => {
  // The SDK parses built-in arguments with JSON.parse: 2261-03-31T01:00:01Z arrives 512 ns early,
  // which once turned time.clock's 01:00:01 into 01:00:00 and time.add_date's result 512 ns off.
  const input = {
    cases: [
      { at: '2261-03-31T01:00:01Z', tz: 'Europe/Berlin', years: 0, months: 0, days: -1 },
      { at: '2200-06-30T12:00:01Z', tz: 'UTC', years: 0, months: 1, days: 0 },
      { at: '1800-01-01T00:00:01Z', tz: 'Asia/Kolkata', years: 1, months: 0, days: 0 },
    ],
  };
  const expected = await opaEval('data.fixture.time.facts', input, true);
  if (!expected.ok) return t.fail(expected.output);
  t.deepEqual(
    (expected.value as { clock_utc: number[] }[]).map((fact) => fact.clock_utc),
    [
      [1, 0, 1],
      [12, 0, 1],
      [0, 0, 1],
    ],
  );
  t.deepEqual(engine.evaluate('fixture/time/facts', input), expected.value);
});
