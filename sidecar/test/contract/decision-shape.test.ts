import test from 'ava';
import { toBatchDecisions, toDecision, toListFilter } from '../../src/contract/decision-shape.js';
import { PolicyNoDecisionError } from '../../src/errors.js';

const ok = { allow: false, visible: true, reasons: [], redact: [] };

test('a reason keeps its scope; a step_up keeps acr_values and max_age', (t) => {
  const decision = toDecision(
    {
      ...ok,
      reasons: [{ code: 'insufficient_scope', message: 'needs a scope', scope: 'transactions:write', x: 1 }],
      step_up: { acr_values: 'urn:verdict:acr:mfa', max_age: 0 },
    },
    'e',
  );
  t.deepEqual(decision, {
    ...ok,
    reasons: [{ code: 'insufficient_scope', message: 'needs a scope', scope: 'transactions:write' }],
    step_up: { acr_values: 'urn:verdict:acr:mfa', max_age: 0 },
  });
});

const badDecisions: readonly (readonly [string, unknown, RegExp])[] = [
  ['null', null, /^e gave no usable decision: decision is not an object$/],
  ['visible as a string', { ...ok, visible: 'false' }, /decision\.visible is not a boolean/],
  ['redact as a string', { ...ok, redact: 'note' }, /decision\.redact is not an array/],
  ['an empty redact path', { ...ok, redact: [''] }, /decision\.redact\[0\] is not a non-empty string/],
  ['a reason that is a string', { ...ok, reasons: ['no'] }, /decision\.reasons\[0\] is not an object/],
  ['a reason without message', { ...ok, reasons: [{ code: 'x' }] }, /reasons\[0\]\.message is not a string/],
  [
    'a reason with a numeric scope',
    { ...ok, reasons: [{ code: 'x', message: '', scope: 1 }] },
    /scope is not/,
  ],
  ['step_up null', { ...ok, step_up: null }, /decision\.step_up is not an object/],
  [
    'negative max_age',
    { ...ok, step_up: { acr_values: 'a', max_age: -1 } },
    /max_age is not a non-negative integer/,
  ],
  [
    'fractional max_age',
    { ...ok, step_up: { acr_values: 'a', max_age: 1.5 } },
    /max_age is not a non-negative/,
  ],
];

for (const [label, value, message] of badDecisions) {
  test(`decision with ${label} → policy_no_decision`, (t) => {
    const error = t.throws(() => toDecision(value, 'e'), { instanceOf: PolicyNoDecisionError, message });
    t.is(error.code, 'policy_no_decision');
  });
}

test('batch decisions must be an array under "decisions"', (t) => {
  t.throws(() => toBatchDecisions([ok], 'b', 1), {
    instanceOf: PolicyNoDecisionError,
    message: /batch\.decisions/,
  });
  t.throws(() => toBatchDecisions({ decisions: [ok, ok] }, 'b', 1), {
    instanceOf: PolicyNoDecisionError,
    message: /2 decisions for 1 resources/,
  });
  t.deepEqual(toBatchDecisions({ decisions: [ok] }, 'b', 1), [ok]);
});

const badClauses: readonly (readonly [string, unknown, RegExp])[] = [
  ['a string clause', 'owner=alice', /any_of\[0\] is not an object/],
  ['a numeric owner', { owner: 7 }, /any_of\[0\]\.owner is not a string/],
  [
    'a non-RFC 3339 created_at_gte',
    { created_at_gte: 'yesterday' },
    /created_at_gte is not an RFC 3339 timestamp/,
  ],
  ['a fractional amount', { amount_minor_lte: 10.5 }, /amount_minor_lte is not an integer/],
  [
    'a category list with a number',
    { category_not_in: ['a', 1] },
    /category_not_in is not an array of strings/,
  ],
];

for (const [label, clause, message] of badClauses) {
  test(`list filter clause with ${label} → policy_no_decision`, (t) => {
    const error = t.throws(() => toListFilter({ any_of: [clause] }, 'l'), {
      instanceOf: PolicyNoDecisionError,
      message,
    });
    t.is(error.code, 'policy_no_decision');
  });
}
