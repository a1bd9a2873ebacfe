import test from 'ava';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiText } from '../src/dev/write-openapi.js';
import { openApiDocument } from '../src/openapi.js';
import { Harness, NEW_TRANSACTION } from './support/harness.js';

test('the committed openapi.json is the document the service serves (npm run openapi rewrites it)', (t) => {
  t.is(readFileSync(OPENAPI_FILE, 'utf8'), openApiText());
});

test('responses match the OpenAPI schemas', async (t) => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv2020) => void)(ajv);
  const doc = openApiDocument() as { components: { schemas: Record<string, object> } };
  for (const [name, schema] of Object.entries(doc.components.schemas))
    ajv.addSchema(schema, `#/components/schemas/${name}`);
  const h = await Harness.start();
  t.teardown(() => h.stop());
  const token = await h.token();
  const created = await h.request('POST', '/transactions', {
    token,
    body: NEW_TRANSACTION,
  });
  const list = await h.request('GET', '/transactions', { token });
  const problem = await h.request('GET', '/transactions');
  const check = (ref: string, body: unknown) => {
    const validate = ajv.getSchema(`#/components/schemas/${ref}`);
    t.truthy(validate, ref);
    t.true(validate!(body), `${ref}: ${ajv.errorsText(validate!.errors)}`);
  };
  check('Transaction', created.body);
  check('TransactionPage', list.body);
  check('Problem', problem.body);
});

/** What each route can answer, from its middleware: the guard, loaders, body, preconditions. */
const SECURED = [400, 401, 403, 413, 429, 500, 503];
const ROUTE_ANSWERS: Record<string, readonly number[]> = {
  'POST /transactions': [201, ...SECURED, 404, 409, 415],
  'GET /transactions': [200, ...SECURED],
  'GET /transactions/{id}': [200, ...SECURED, 404],
  'PATCH /transactions/{id}': [200, ...SECURED, 404, 412, 415, 428],
  'DELETE /transactions/{id}': [204, ...SECURED, 404, 412],
  'POST /transactions/{id}/approve': [200, ...SECURED, 404, 412, 415],
  'POST /transactions/{id}/reject': [200, ...SECURED, 404, 412, 415],
  'POST /accounts': [201, ...SECURED, 409, 415],
  'GET /accounts': [200, ...SECURED],
  'GET /accounts/{id}': [200, ...SECURED, 404],
  'POST /accounts/{id}/freeze': [200, ...SECURED, 404, 412, 415],
  'POST /accounts/{id}/unfreeze': [200, ...SECURED, 404, 412, 415],
  'GET /audit': [200, ...SECURED],
  'GET /health/live': [200, 500],
  'GET /health/ready': [200, 429, 500, 503],
  'GET /openapi.json': [200, 429, 500],
  'GET /.well-known/oauth-protected-resource': [200, 404, 429, 500],
};

type Operations = Record<string, Record<string, { responses: Record<string, { content?: object }> }>>;

test('each operation declares exactly the statuses its route can answer, errors as problem+json', (t) => {
  const paths = (openApiDocument() as { paths: Operations }).paths;
  const operations = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(
      ([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as const,
    ),
  );
  t.deepEqual(
    operations.map(([name]) => name).sort(),
    Object.keys(ROUTE_ANSWERS).sort(),
    'every operation has a ROUTE_ANSWERS row, every row an operation',
  );
  for (const [name, operation] of operations) {
    const declared = Object.keys(operation.responses).map(Number);
    t.deepEqual(
      declared.sort((a, b) => a - b),
      [...(ROUTE_ANSWERS[name] ?? [])].sort((a, b) => a - b),
      name,
    );
    for (const [status, response] of Object.entries(operation.responses)) {
      if (Number(status) >= 400)
        t.deepEqual(Object.keys(response.content ?? {}), ['application/problem+json'], `${name} ${status}`);
    }
  }
});
