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
