import test from 'ava';
import { Engine, EvaluationFailedError } from '../../src/engine.js';
import { buildWasmBundle, opaEval, tempDir } from '../helpers/opa.js';

// The custom built-ins run inside the compiled WASM policy and must answer exactly as OPA's Go
// built-ins do under `opa eval` on the same Rego (TZ=UTC, so Go's "Local" is UTC like the engine's).

let engine: Engine;
test.before(async () => {
  const dir = await tempDir();
  try {
    engine = await Engine.fromFile(await buildWasmBundle(dir.path));
  } finally {
    await dir.remove();
  }
});

interface Case {
  readonly at: string;
  readonly tz: string;
  readonly years: number;
  readonly months: number;
  readonly days: number;
}

const instants = [
  '2026-03-29T00:59:59Z',
  '2026-03-29T01:00:00Z',
  '2026-03-29T02:30:00+02:00',
  '2026-10-25T00:59:59Z',
  '2026-10-25T01:00:00Z',
  '2026-10-25T02:30:00+01:00',
  '2026-03-08T06:59:59Z',
  '2026-03-08T07:00:00Z',
  '2026-11-01T05:59:59Z',
  '2026-11-01T06:00:00Z',
  '2026-11-23T10:00:00Z',
  '2026-11-23T23:30:00-05:00',
  '2026-12-31T23:59:59Z',
  '2024-02-29T12:00:00Z',
  '2026-01-31T08:00:00+09:00',
];
const zones = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Asia/Kolkata',
  '',
  'UTC',
  'Local',
];
const shifts = [
  [0, 0, 0],
  [0, 1, 0],
  [1, 0, 0],
  [0, 0, -1],
  [0, -13, 40],
] as const;

const cases: Case[] = instants.flatMap((at, i) =>
  zones.map((tz, j) => {
    const [years, months, days] = shifts[(i + j) % shifts.length] ?? [0, 0, 0];
    return { at, tz, years, months, days };
  }),
);

test(`clock, date, weekday and add_date agree with opa eval on ${cases.length} instant × zone cases`, async (t) => {
  const expected = await opaEval('data.fixture.time.facts', { cases }, true);
  if (!expected.ok) return t.fail(expected.output);
  t.is((expected.value as unknown[]).length, cases.length);
  t.deepEqual(engine.evaluate('fixture/time/facts', { cases }), expected.value);
});

// Nanosecond-precise instants beyond 2^53 ns (after 2255-06-05, before 1684-07-28, and in between
// with 19 significant digits): the host reads a built-in's nanoseconds from their digits, so no
// digit is lost on the way in or out.
const precise: Case[] = [
  '2261-12-31T23:59:59.123456789Z',
  '2261-06-30T12:00:00.000000001+02:00',
  '2200-01-01T00:00:00.999999999Z',
  '1800-01-01T00:00:00.123456789Z',
  '1700-01-01T00:00:00.000000007Z',
].map((at, i) => ({ at, tz: i % 2 === 0 ? 'Europe/Berlin' : '', years: 0, months: i, days: -i }));

test(`nanoseconds beyond 2^53 stay exact through every built-in, as in opa eval (${precise.length} cases)`, async (t) => {
  const expected = await opaEval('data.fixture.time.facts', { cases: precise }, true);
  if (!expected.ok) return t.fail(expected.output);
  t.is((expected.value as unknown[]).length, precise.length);
  t.deepEqual(engine.evaluate('fixture/time/facts', { cases: precise }), expected.value);
});

const timestamps = [
  '2026-11-23T10:00:00Z',
  '2026-11-23T10:00:00+02:00',
  '2026-11-23T10:00:00-05:30',
  '2026-11-23T10:00:00.5Z',
  '2026-11-23T10:00:00.123456789Z',
  '2026-11-23T10:00:00.1234567891234Z',
  '2026-11-23T10:00:00,25Z',
  '2026-11-23T9:00:00Z',
  '2026-11-23T10:00:00+24:00',
  '2026-11-23T10:00:00+23:60',
  '2024-02-29T12:00:00Z',
  '2262-04-11T23:47:16Z',
  '2026-02-29T12:00:00Z',
  '2026-11-23T24:00:00Z',
  '2026-11-23T23:59:60Z',
  '2026-11-23T10:00:00+25:00',
  '2026-11-23T10:00:00+02:61',
  '2026-11-23t10:00:00Z',
  '2026-11-23T10:00:00z',
  '2026-11-23 10:00:00Z',
  '2026-11-23T10:00:00',
  '2026-11-23T10:00:00.Z',
  '2026-11-23T10:00:00+0200',
  '2026-11-23T100:00:00Z',
  '+2026-11-23T10:00:00Z',
  '2026-11-23',
  '',
  '1677-09-21T00:12:43Z',
  '2262-04-11T23:47:17Z',
];

test(`time.parse_rfc3339_ns accepts, rejects and computes exactly as opa eval on ${timestamps.length} strings`, async (t) => {
  const expected = await opaEval('data.fixture.time.parsed_all', { strings: timestamps });
  if (!expected.ok) return t.fail(expected.output);
  const opa = expected.value as Record<string, unknown>;
  const wasm: Record<string, unknown> = {};
  for (const at of timestamps) {
    try {
      wasm[at] = engine.evaluate('fixture/time/parsed', { at });
    } catch (error) {
      if (!(error instanceof EvaluationFailedError)) throw error;
    }
  }
  t.true(Object.keys(opa).length >= 12);
  t.true(Object.keys(opa).length < timestamps.length);
  t.deepEqual(wasm, opa);
});

test('an unknown zone fails in WASM and in opa eval --strict-builtin-errors with the same message', async (t) => {
  const input = { cases: [{ at: '2026-11-23T10:00:00Z', tz: 'Mars/Olympus', years: 0, months: 0, days: 0 }] };
  const expected = await opaEval('data.fixture.time.facts', input, true);
  t.false(expected.ok);
  if (expected.ok) return;
  t.regex(expected.output, /time\.clock: unknown time zone Mars\/Olympus/);
  t.throws(() => engine.evaluate('fixture/time/facts', input), {
    instanceOf: EvaluationFailedError,
    message: /time\.clock: unknown time zone Mars\/Olympus/,
  });
});
