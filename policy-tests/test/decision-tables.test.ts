import test from 'ava';
import { Engine } from '@verdict/sidecar/engine';
import type { BatchInput, ListFilterInput, PolicyInput } from '@verdict/sidecar/contract/policy';
import { ensureBundle, WASM_BUNDLE } from '../src/bundle.js';
import { loadCases, normalize, type Case, type JsonObject } from '../src/cases.js';
import { selectedRows, tableOf } from '../src/list-filter-rows.js';
import { opaEvalAll, type Evaluation } from '../src/opa-eval.js';

// Every case of cases/*.yaml, evaluated by the compiled WASM bundle through the engine and by
// `opa eval` on the Rego source (all cases in one opa process): both must give the same result,
// and that result must be the case's expectation.

ensureBundle();
const cases = loadCases();
const engine = await Engine.fromFile(WASM_BUNDLE);

/**
 * For list_filter cases with rows: the batch decisions on those rows for the same list action
 * (transactions:list or accounts:list), to check the filter against.
 */
function rowBatch(c: Case): JsonObject {
  const { subject, action, environment } = c.input;
  return {
    subject: subject ?? null,
    action: action ?? null,
    environment: environment ?? null,
    resources: c.rows,
  };
}

const evaluations: Evaluation[] = cases.flatMap((c) => [
  { entrypoint: c.entrypoint, input: c.input },
  ...(c.rows.length > 0 ? [{ entrypoint: 'batch', input: rowBatch(c) }] : []),
]);
const opaResults = await opaEvalAll(evaluations);
const opaResultOf = new Map<Case, { result: unknown; rows?: unknown }>();
{
  let next = 0;
  for (const c of cases) {
    const result = opaResults[next++];
    opaResultOf.set(c, c.rows.length > 0 ? { result, rows: opaResults[next++] } : { result });
  }
}

function wasm(entrypoint: string, input: unknown): unknown {
  try {
    return engine.evaluate(`verdict/authz/${entrypoint}`, input);
  } catch (error) {
    return { engine_error: String(error) };
  }
}

const show = (value: unknown): string => (value === undefined ? 'undefined' : JSON.stringify(value, null, 2));

function report(c: Case, problem: string, actual: Record<string, unknown>): string {
  const lines = [problem, `input: ${show(c.input)}`, `expected: ${show(c.expected)}`];
  for (const [label, value] of Object.entries(actual)) lines.push(`${label}: ${show(value)}`);
  return lines.join('\n');
}

test('the decision tables hold at least 150 cases', (t) => {
  t.true(cases.length >= 150, `only ${cases.length} cases`);
});

for (const c of cases) {
  test(c.name, (t) => {
    const opa = opaResultOf.get(c)!;
    const fromWasm = wasm(c.entrypoint, c.input);
    t.deepEqual(
      fromWasm,
      opa.result,
      report(c, 'WASM and opa eval disagree', { wasm: fromWasm, opa: opa.result }),
    );
    const actual = normalize(c.entrypoint, fromWasm);
    t.deepEqual(actual, c.expected, report(c, 'unexpected result', { actual }));

    // The engine's own contract checks accept what the policy returned.
    if (c.entrypoint === 'decision') t.notThrows(() => engine.decide(c.input as unknown as PolicyInput));
    if (c.entrypoint === 'batch') t.notThrows(() => engine.decideBatch(c.input as unknown as BatchInput));
    if (c.entrypoint === 'list_filter') {
      t.notThrows(() => engine.listFilter(c.input as unknown as ListFilterInput));
    }

    if (c.rows.length > 0) {
      // A row passes the filter exactly when batch (the same list action) allows it: the filter as
      // the service's store runs it, its SQL on a SQLite table holding the case's rows.
      const rows = wasm('batch', rowBatch(c));
      t.deepEqual(
        rows,
        opa.rows,
        report(c, 'WASM and opa eval disagree on the rows', { wasm: rows, opa: opa.rows }),
      );
      const anyOf = (fromWasm as { any_of: JsonObject[] }).any_of;
      const decisions = (rows as { decisions: { allow: boolean }[] }).decisions;
      t.is(decisions.length, c.rows.length, 'one batch decision per row');
      const selected = selectedRows(tableOf(c.input.action), anyOf, c.rows);
      c.rows.forEach((row, i) => {
        t.is(
          selected[i],
          decisions[i]!.allow,
          report(c, `row ${i} (${JSON.stringify(row.id)}): filter and batch disagree`, {
            filter: anyOf,
            decision: decisions[i],
          }),
        );
      });
    }
  });
}
