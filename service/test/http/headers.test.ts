import test from 'ava';
import { openApiDocument } from '../../src/openapi.js';
import { CUSTOMER_SCOPES, Harness, NEW_TRANSACTION } from '../support/harness.js';

const h = await Harness.start();
test.after.always(() => h.stop());

interface HeaderParameter {
  readonly name: string;
  readonly in: string;
  readonly schema: Record<string, unknown>;
}

type Operations = Record<string, Record<string, { parameters?: readonly HeaderParameter[] }>>;

/** Keywords that make a header schema refuse some strings. */
const CONSTRAINTS = ['pattern', 'minLength', 'maxLength', 'enum', 'const', 'format'];

/** `METHOD /path Header` of every declared header parameter whose schema refuses some values. */
function constrainedHeaders(): string[] {
  const paths = (openApiDocument() as { paths: Operations }).paths;
  return Object.entries(paths).flatMap(([path, operations]) =>
    Object.entries(operations).flatMap(([method, operation]) =>
      (operation.parameters ?? [])
        .filter((p) => p.in === 'header' && CONSTRAINTS.some((keyword) => keyword in p.schema))
        .map((p) => `${method.toUpperCase()} ${path} ${p.name}`),
    ),
  );
}

interface Violation {
  readonly value: string;
  readonly status: number;
  readonly code: string;
}

/** For each constrained header: values its schema refuses, the answer each gets, and a value it takes. */
const TABLE: Record<string, { readonly valid: string; readonly violations: readonly Violation[] }> = {
  'POST /transactions Idempotency-Key': {
    valid: 'key-headers-1',
    violations: [
      { value: '', status: 400, code: 'validation_failed' },
      { value: 'tab\there', status: 400, code: 'validation_failed' },
      { value: 'caf\u00e9', status: 400, code: 'validation_failed' },
      { value: 'k'.repeat(256), status: 400, code: 'validation_failed' },
    ],
  },
  'POST /accounts Idempotency-Key': {
    valid: 'key-headers-2',
    violations: [
      { value: '', status: 400, code: 'validation_failed' },
      { value: 'two words', status: 400, code: 'validation_failed' },
      { value: 'k'.repeat(256), status: 400, code: 'validation_failed' },
    ],
  },
  // Empty counts as no If-Match where one is required.
  'PATCH /transactions/{id} If-Match': {
    valid: '"1"',
    violations: [{ value: '', status: 428, code: 'precondition_required' }],
  },
};

/** An otherwise valid request for each operation in the table, made fresh for each try. */
async function requestFor(operation: string, token: string): Promise<{ path: string; body: unknown }> {
  if (operation === 'POST /transactions') {
    return { path: '/transactions', body: { ...NEW_TRANSACTION, account_id: await h.account('alice') } };
  }
  if (operation === 'POST /accounts') return { path: '/accounts', body: { currency: 'EUR' } };
  if (operation === 'PATCH /transactions/{id}') {
    const created = await h.request('POST', '/transactions', {
      token,
      body: { ...NEW_TRANSACTION, account_id: await h.account('alice') },
    });
    return { path: `/transactions/${String(created.body.id)}`, body: { note: 'changed' } };
  }
  throw new Error(`no request for ${operation}: add one`);
}

test('every constrained header parameter in openapi.json has its violations in the table', (t) => {
  const declared = constrainedHeaders().sort();
  t.deepEqual(Object.keys(TABLE).sort(), declared, 'add a TABLE row for each constrained header');
});

for (const [key, { valid, violations }] of Object.entries(TABLE)) {
  const [method = '', path = '', header = ''] = key.split(' ');
  const operation = `${method} ${path}`;

  test(`${key}: a value outside its declared schema is refused, a value inside is taken`, async (t) => {
    const token = await h.token({ scope: `${CUSTOMER_SCOPES} accounts:read accounts:write` });
    for (const { value, status, code } of violations) {
      const request = await requestFor(operation, token);
      const res = await h.request(method, request.path, {
        token,
        body: request.body,
        headers: [[header, value]],
      });
      t.is(res.status, status, JSON.stringify(value));
      t.is(res.body?.code, code, JSON.stringify(value));
    }
    const request = await requestFor(operation, token);
    const res = await h.request(method, request.path, {
      token,
      body: request.body,
      headers: [[header, valid]],
    });
    t.true(res.status >= 200 && res.status < 300, `${valid} → ${res.status} ${String(res.body?.code)}`);
  });
}
