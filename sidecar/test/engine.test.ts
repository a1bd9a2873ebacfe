import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import {
  BuiltinError,
  BundleInvalidError,
  Engine,
  EngineError,
  EntrypointNotFoundError,
  EvaluationFailedError,
  PolicyNoDecisionError,
} from '../src/engine.js';
import type { BatchInput, ListFilterInput, PolicyInput, PolicyResource } from '../src/contract/policy.js';
import { buildWasmBundle, FIXTURE_ENTRYPOINTS, tempDir } from './helpers/opa.js';
import { ENVIRONMENT, fixtureResource } from './helpers/fixtures.js';
import { tarGz } from './helpers/tar-writer.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let engine: Engine;
let bundlePath: string;
let bundle: Buffer;
let removeDir: () => Promise<void>;

test.before(async () => {
  const dir = await tempDir();
  removeDir = dir.remove;
  bundlePath = await buildWasmBundle(dir.path, { revision: 'test-rev' });
  bundle = await readFile(bundlePath);
  engine = await Engine.fromFile(bundlePath);
});

test.after.always(async () => {
  await removeDir();
});

const alice = { sub: 'alice', client_id: 'web-app', scope: 'transactions:read' };
const environment = ENVIRONMENT;
const resource = fixtureResource;

function input(overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    subject: { claims: alice },
    action: 'transactions:read',
    resource: resource(),
    environment,
    ...overrides,
  };
}

test('fromFile reads the revision from the manifest and lists the compiled entrypoints', (t) => {
  t.is(engine.revision, 'test-rev');
  t.deepEqual([...engine.entrypoints], [...FIXTURE_ENTRYPOINTS].sort());
  t.is(engine.manifest.revision, 'test-rev');
});

test('fromBuffer of the same bytes gives the same decisions as fromFile', async (t) => {
  const other = await Engine.fromBuffer(bundle);
  t.deepEqual(other.decide(input()).decision, engine.decide(input()).decision);
});

test('a bundle built without --revision has revision ""', async (t) => {
  const dir = await tempDir();
  try {
    const unversioned = await Engine.fromFile(await buildWasmBundle(dir.path));
    t.is(unversioned.revision, '');
    t.is(unversioned.decide(input()).revision, '');
  } finally {
    await dir.remove();
  }
});

test('owner reads own transaction → allow, visible, no reasons, no redaction', (t) => {
  const result = engine.decide(input());
  t.deepEqual(result.decision, { allow: true, visible: true, reasons: [], redact: [] });
  t.is(result.revision, 'test-rev');
  t.regex(result.decisionId, UUID);
});

test('role with redactions in bundle data → allow with those dotted paths to redact', (t) => {
  const support = { ...alice, roles: ['support'] };
  const { decision } = engine.decide(input({ subject: { claims: support } }));
  t.true(decision.allow);
  t.deepEqual(decision.redact, ['counterparty.account', 'note']);
});

test("another customer's transaction → deny, not visible, reason not_owner", (t) => {
  const { decision } = engine.decide(input({ resource: resource({ owner: 'bob' }) }));
  t.deepEqual(decision, {
    allow: false,
    visible: false,
    reasons: [{ code: 'not_owner', message: 'transaction belongs to another customer' }],
    redact: [],
  });
});

test('amount above the step-up threshold → deny with step_up acr_values and max_age', (t) => {
  const { decision } = engine.decide(input({ resource: resource({ amount_minor: 250_000 }) }));
  t.false(decision.allow);
  t.deepEqual(decision.step_up, { acr_values: 'urn:verdict:acr:mfa', max_age: 300 });
  t.deepEqual(
    decision.reasons.map((r) => r.code),
    ['step_up_required'],
  );
});

// Same UTC time of day, either side of Berlin's switch to summer time (2026-03-29).
for (const [now, allowed, label] of [
  ['2026-03-27T07:30:00Z', false, 'Friday 08:30 CET, before summer time'],
  ['2026-03-30T07:30:00Z', true, 'Monday 09:30 CEST, after summer time'],
  ['2026-03-30T15:00:00Z', false, 'Monday 17:00 CEST'],
  ['2026-03-28T10:00:00Z', false, 'Saturday 11:00 CET'],
] as const) {
  test(`approval at ${now} (${label}) → ${allowed ? 'allow' : 'deny outside_business_hours'}`, (t) => {
    const { decision } = engine.decide(
      input({ action: 'transactions:approve', environment: { ...environment, now } }),
    );
    t.is(decision.allow, allowed);
    t.deepEqual(
      decision.reasons.map((r) => r.code),
      allowed ? [] : ['outside_business_hours'],
    );
  });
}

test('every decision gets a fresh UUID decision id', (t) => {
  const ids = new Set(Array.from({ length: 50 }, () => engine.decide(input()).decisionId));
  t.is(ids.size, 50);
  for (const id of ids) t.regex(id, UUID);
});

test('undefined decision (the policy has no rule for the input) → policy_no_decision', (t) => {
  const error = t.throws(() => engine.decide(input({ resource: resource({ owner: undefined }) })), {
    instanceOf: PolicyNoDecisionError,
    message: /verdict\/authz\/decision gave no usable decision: decision is undefined/,
  });
  t.is(error.code, 'policy_no_decision');
  t.is(error.entrypoint, 'verdict/authz/decision');
});

const malformed: readonly (readonly [string, RegExp])[] = [
  ['allow_missing', /decision\.allow is not a boolean/],
  ['allow_string', /decision\.allow is not a boolean/],
  ['visible_missing', /decision\.visible is not a boolean/],
  ['reasons_missing', /decision\.reasons is not an array/],
  ['reason_without_code', /decision\.reasons\[0\]\.code is not a non-empty string/],
  ['redact_number', /decision\.redact\[0\] is not a non-empty string/],
  ['step_up_without_acr', /decision\.step_up\.acr_values is not a non-empty string/],
  ['not_an_object', /decision is not an object/],
  ['no_such_mode', /decision is undefined/],
];

for (const [mode, message] of malformed) {
  test(`malformed decision (${mode}) from the WASM policy → policy_no_decision`, (t) => {
    const error = t.throws(() => engine.decide(input({ resource: resource({ test_mode: mode }) })), {
      instanceOf: PolicyNoDecisionError,
      message,
    });
    t.is(error.code, 'policy_no_decision');
  });
}

test('unknown fields of a decision are dropped, the contract fields kept', (t) => {
  const { decision } = engine.decide(input({ resource: resource({ test_mode: 'extra_field' }) }));
  t.deepEqual(decision, { allow: true, visible: true, reasons: [], redact: [] });
});

function batchInput(resources: readonly PolicyResource[]): BatchInput {
  return { subject: { claims: alice }, action: 'transactions:read', resources, environment };
}

test('a batch of 500 resources → 500 decisions in input order, from one WASM evaluation', (t) => {
  const resources = Array.from({ length: 500 }, (_, i) =>
    resource({
      id: `tx-${i}`,
      owner: i % 3 === 0 ? 'bob' : 'alice',
      amount_minor: i % 7 === 0 ? 200_000 : 100,
    }),
  );
  let evaluations = 0;
  const counting = Object.create(engine) as Engine;
  counting.evaluate = (entrypoint, value) => {
    evaluations += 1;
    return engine.evaluate(entrypoint, value);
  };
  const result = counting.decideBatch(batchInput(resources));
  t.is(evaluations, 1);
  t.is(result.decisions.length, 500);
  t.regex(result.decisionId, UUID);
  t.is(result.revision, 'test-rev');
  result.decisions.forEach((decision, i) => {
    const expected = i % 3 === 0 ? 'not_owner' : i % 7 === 0 ? 'step_up_required' : undefined;
    t.is(decision.reasons[0]?.code, expected, `resource ${i}`);
    t.is(decision.allow, expected === undefined, `resource ${i}`);
  });
});

test('a batch agrees with one decide call per resource', (t) => {
  const resources = [resource(), resource({ owner: 'bob' }), resource({ amount_minor: 999_999 })];
  const batch = engine.decideBatch(batchInput(resources));
  t.deepEqual(
    batch.decisions,
    resources.map((r) => engine.decide(input({ resource: r })).decision),
  );
});

test('an empty batch → no decisions', (t) => {
  t.deepEqual(engine.decideBatch(batchInput([])).decisions, []);
});

test('a batch where the policy skips a resource (length mismatch) → policy_no_decision', (t) => {
  const error = t.throws(() => engine.decideBatch(batchInput([resource(), resource({ owner: undefined })])), {
    instanceOf: PolicyNoDecisionError,
    message: /1 decisions for 2 resources/,
  });
  t.is(error.code, 'policy_no_decision');
  t.is(error.entrypoint, 'verdict/authz/batch');
});

test('a batch with one malformed decision fails whole → policy_no_decision naming it', (t) => {
  const resources = [resource(), resource(), resource({ test_mode: 'visible_missing' })];
  const error = t.throws(() => engine.decideBatch(batchInput(resources)), {
    instanceOf: PolicyNoDecisionError,
    message: /decisions\[2\]\.visible is not a boolean/,
  });
  t.is(error.code, 'policy_no_decision');
});

function listInput(claims: object): ListFilterInput {
  return { subject: { claims: { ...alice, ...claims } }, action: 'transactions:list', environment };
}

test('list filter for a customer → one clause on owner', (t) => {
  const result = engine.listFilter(listInput({}));
  t.deepEqual(result.anyOf, [{ owner: 'alice' }]);
  t.regex(result.decisionId, UUID);
  t.is(result.revision, 'test-rev');
});

test('list filter with every clause field → all of them kept, typed', (t) => {
  const result = engine.listFilter(listInput({ roles: ['support'], department: 'retail' }));
  t.deepEqual(result.anyOf, [
    {
      department: 'retail',
      created_at_gte: '2026-01-01T00:00:00Z',
      amount_minor_lte: 100000,
      category_not_in: ['gambling'],
    },
  ]);
});

test('list filter [] means no rows and [{}] every row', (t) => {
  t.deepEqual(engine.listFilter(listInput({ roles: ['test'], sub: 'nothing' })).anyOf, []);
  t.deepEqual(engine.listFilter(listInput({ roles: ['test'], sub: 'everything' })).anyOf, [{}]);
});

for (const [sub, message] of [
  ['unknown_field', /any_of\[0\] has unknown fields tenant/],
  ['bad_amount', /any_of\[0\]\.amount_minor_lte is not an integer/],
  ['not_a_list', /any_of is not an array/],
  ['undefined_filter', /list filter is undefined/],
] as const) {
  test(`malformed list filter (${sub}) → policy_no_decision, never a wider query`, (t) => {
    const error = t.throws(() => engine.listFilter(listInput({ roles: ['test'], sub })), {
      instanceOf: PolicyNoDecisionError,
      message,
    });
    t.is(error.code, 'policy_no_decision');
    t.is(error.entrypoint, 'verdict/authz/list_filter');
  });
}

test('evaluate returns the raw value, and undefined when the rule is undefined', (t) => {
  t.deepEqual(engine.evaluate('fixture/misc/echo', { a: [1, 'two', null] }), { a: [1, 'two', null] });
  t.is(engine.evaluate('fixture/misc/maybe', { answer: 'yes' }), 'yes');
  t.is(engine.evaluate('fixture/misc/maybe', { answer: 'no' }), undefined);
});

test('unknown entrypoint → entrypoint_not_found', (t) => {
  const error = t.throws(() => engine.evaluate('verdict/authz/nope', {}), {
    instanceOf: EntrypointNotFoundError,
    message: /entrypoint verdict\/authz\/nope is not in the bundle/,
  });
  t.is(error.code, 'entrypoint_not_found');
  t.is(error.entrypoint, 'verdict/authz/nope');
  t.true(error instanceof EngineError);
});

test('a built-in error inside WASM → evaluation_failed with the BuiltinError as cause; the engine keeps working', (t) => {
  const error = t.throws(() => engine.evaluate('fixture/misc/zone_clock', { ns: 0, zone: 'Mars/Olympus' }), {
    instanceOf: EvaluationFailedError,
    message: /evaluation of fixture\/misc\/zone_clock failed: time\.clock: unknown time zone Mars\/Olympus/,
  });
  t.is(error.code, 'evaluation_failed');
  t.true(error.cause instanceof BuiltinError);
  t.deepEqual(engine.evaluate('fixture/misc/zone_clock', { ns: 0, zone: 'Asia/Tokyo' }), [9, 0, 0]);
  t.true(engine.decide(input()).decision.allow);
});

test('a policy that aborts (two values for one complete rule) → evaluation_failed; the engine keeps working', async (t) => {
  const dir = await tempDir();
  try {
    const source = join(dir.path, 'conflict.rego');
    await writeFile(source, 'package conflict\n\nx := 1 if input.a\n\nx := 2 if input.b\n');
    const path = await buildWasmBundle(dir.path, { sources: [source], entrypoints: ['conflict/x'] });
    const conflicting = await Engine.fromFile(path);
    const error = t.throws(() => conflicting.evaluate('conflict/x', { a: true, b: true }), {
      instanceOf: EvaluationFailedError,
      message: /evaluation of conflict\/x failed: policy aborted: .*conflict/,
    });
    t.is(error.code, 'evaluation_failed');
    t.is(conflicting.evaluate('conflict/x', { a: true }), 1);
  } finally {
    await dir.remove();
  }
});

test('an input that is not JSON (a bigint) → evaluation_failed', (t) => {
  const error = t.throws(() => engine.evaluate('fixture/misc/echo', { n: 1n }), {
    instanceOf: EvaluationFailedError,
  });
  t.is(error.code, 'evaluation_failed');
});

test('an input larger than the memory maximum → evaluation_failed; smaller inputs still work', async (t) => {
  const small = await Engine.fromBuffer(bundle, { memory: { initialPages: 8, maximumPages: 16 } });
  const big = { blob: 'x'.repeat(2 * 1024 * 1024) };
  const error = t.throws(() => small.evaluate('fixture/misc/echo', big), {
    instanceOf: EvaluationFailedError,
  });
  t.is(error.code, 'evaluation_failed');
  t.deepEqual(small.evaluate('fixture/misc/echo', { ok: true }), { ok: true });
  t.true(small.decide(input()).decision.allow);
});

test('a missing bundle file → bundle_invalid naming the path', async (t) => {
  const error = await t.throwsAsync(Engine.fromFile('/nonexistent/bundle.tar.gz'), {
    instanceOf: BundleInvalidError,
    message: /cannot read bundle file \/nonexistent\/bundle\.tar\.gz/,
  });
  t.is(error.code, 'bundle_invalid');
});

test('corrupt gzip → bundle_invalid', async (t) => {
  const corrupt = Buffer.from(bundle);
  corrupt.fill(0x55, 100, 200);
  const error = await t.throwsAsync(Engine.fromBuffer(corrupt), { instanceOf: BundleInvalidError });
  t.is(error.code, 'bundle_invalid');
});

test('a policy.wasm that is not WebAssembly → bundle_invalid', async (t) => {
  const error = await t.throwsAsync(Engine.fromBuffer(tarGz([{ name: '/policy.wasm', data: 'not wasm' }])), {
    instanceOf: BundleInvalidError,
    message: /policy\.wasm cannot be loaded/,
  });
  t.is(error.code, 'bundle_invalid');
});

// sprintf is a host built-in the opa-wasm SDK would provide; capabilities.json keeps it out of the
// policies, and the engine's host does not offer it either.
for (const [builtin, rule] of [
  ['time.diff', 'time.diff(input.a, input.b)'],
  ['sprintf', 'sprintf("%v", [input.a])'],
] as const) {
  test(`a bundle needing a built-in the engine lacks (${builtin}) → bundle_invalid at load, not at evaluation`, async (t) => {
    const dir = await tempDir();
    try {
      const source = join(dir.path, 'needs.rego');
      await writeFile(source, `package needs\n\nx := ${rule}\n`);
      const path = await buildWasmBundle(dir.path, { sources: [source], entrypoints: ['needs/x'] });
      const error = await t.throwsAsync(Engine.fromFile(path), {
        instanceOf: BundleInvalidError,
        message: new RegExp(`needs built-ins the engine lacks: ${builtin.replace('.', '\\.')}$`),
      });
      t.is(error.code, 'bundle_invalid');
    } finally {
      await dir.remove();
    }
  });
}

test('the verify hook can refuse a bundle, which then never loads', async (t) => {
  const error = await t.throwsAsync(
    Engine.fromBuffer(bundle, {
      verify: ({ signatures }) => {
        if (signatures === undefined) throw new Error('bundle is not signed');
      },
    }),
    { instanceOf: BundleInvalidError, message: /bundle is not signed/ },
  );
  t.is(error.code, 'bundle_invalid');
});

test('memory options with initial above maximum are refused before loading', async (t) => {
  await t.throwsAsync(Engine.fromBuffer(bundle, { memory: { initialPages: 32, maximumPages: 16 } }), {
    instanceOf: RangeError,
    message: /1 <= initial <= maximum \(got 32, 16\)/,
  });
});

test('query: the raw value with a fresh decision id and the revision; undefined stays undefined', (t) => {
  const answer = engine.query('fixture/misc/echo', { a: 1 });
  t.deepEqual(answer.result, { a: 1 });
  t.regex(answer.decisionId, UUID);
  t.is(answer.revision, 'test-rev');
  t.is(engine.query('fixture/misc/maybe', { answer: 'no' }).result, undefined);
});

test('falsy inputs are evaluated as values, not as "no input"', (t) => {
  t.is(engine.evaluate('fixture/misc/echo', false), false);
  t.is(engine.evaluate('fixture/misc/echo', 0), 0);
  t.is(engine.evaluate('fixture/misc/echo', ''), '');
  t.is(engine.evaluate('fixture/misc/echo', undefined), undefined);
});

test('onDecision sees every query and typed decision with its id, result or error; raw evaluate is not reported', async (t) => {
  const records: import('../src/engine.js').DecisionRecord[] = [];
  const logged = await Engine.fromBuffer(bundle, { onDecision: (record) => records.push(record) });
  const decided = logged.decide(input());
  logged.evaluate('fixture/misc/echo', 1);
  t.throws(() => logged.query('fixture/misc/zone_clock', { ns: 'x', zone: 'UTC' }));
  t.is(records.length, 2);
  t.is(records[0]!.decisionId, decided.decisionId);
  t.is(records[0]!.path, 'verdict/authz/decision');
  t.deepEqual(records[0]!.result, decided.decision);
  t.is(records[0]!.revision, 'test-rev');
  t.true(records[0]!.evalNs > 0);
  t.is(records[1]!.error?.code, 'evaluation_failed');
});

test('a throwing onDecision hook never changes or fails a decision', async (t) => {
  const logged = await Engine.fromBuffer(bundle, {
    onDecision: () => {
      throw new Error('log sink exploded');
    },
  });
  t.true(logged.decide(input()).decision.allow);
});
