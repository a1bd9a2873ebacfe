import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OPAClient } from '@open-policy-agent/opa';
import test from 'ava';
import type { DecisionLogSink } from '../../src/decision-log/event.js';
import type { PolicyInput } from '../../src/contract/policy.js';
import { BATCH_CHUNK_INPUTS } from '../../src/http/data-api.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import { fixtureResource } from '../helpers/fixtures.js';
import { post, startTestSidecar } from '../helpers/sidecar.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let dir: { path: string; remove: () => Promise<void> };
let sidecar: RunningSidecar;
let bundlePath: string;

const input = {
  subject: { claims: { sub: 'alice', client_id: 'web-app', scope: 'transactions:read' } },
  action: 'transactions:read',
  resource: fixtureResource(),

  environment: { now: '2026-11-23T10:00:00Z' },
};
const ALLOW = { allow: true, visible: true, reasons: [], redact: [] };

test.before(async () => {
  dir = await tempDir();
  bundlePath = await buildWasmBundle(dir.path, { revision: 'api-rev' });
  sidecar = await startTestSidecar({ BUNDLE_PATH: bundlePath }, { maxBodyBytes: 64 * 1024 });
});

test.after.always(async () => {
  await sidecar.close();
  await dir.remove();
});

test('POST /v1/data/{entrypoint} → 200 {result, decision_id}', async (t) => {
  const { status, body, headers } = await post(sidecar.url, '/v1/data/verdict/authz/decision', { input });
  t.is(status, 200);
  t.is(headers.get('content-type'), 'application/json');
  t.deepEqual(Object.keys(body).sort(), ['decision_id', 'result']);
  t.deepEqual(body.result, ALLOW);
  t.regex(body.decision_id, UUID);
});

test('an undefined result → 200 with no result key, only the decision_id', async (t) => {
  const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/maybe', {
    input: { answer: 'no' },
  });
  t.is(status, 200);
  t.deepEqual(Object.keys(body), ['decision_id']);
  t.regex(body.decision_id, UUID);
});

test('?provenance=true adds provenance.bundles.<name>.revision', async (t) => {
  const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/echo?provenance=true', {
    input: 1,
  });
  t.is(status, 200);
  t.is(body.result, 1);
  t.deepEqual(body.provenance.bundles, { verdict: { revision: 'api-rev' } });
  t.is(typeof body.provenance.version, 'string');
});

test('falsy inputs (false, 0, "") reach the policy as values, as in OPA', async (t) => {
  for (const value of [false, 0, '']) {
    const { body } = await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: value });
    t.is(body.result, value);
  }
});

test("a body without an input key → 200 with OPA's api_usage_warning and no input", async (t) => {
  const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/echo', {});
  t.is(status, 200);
  t.deepEqual(body.warning, { code: 'api_usage_warning', message: "'input' key missing from the request" });
  t.false('result' in body);
});

test('a path that is not a compiled entrypoint → 404 resource_not_found', async (t) => {
  for (const path of ['/v1/data/verdict/authz', '/v1/data/nope/nope', '/v1/data', '/v1/data/']) {
    const { status, body } = await post(sidecar.url, path, { input });
    t.is(status, 404, path);
    t.is(body.code, 'resource_not_found', path);
    t.is(typeof body.message, 'string');
  }
});

test('malformed JSON → 400 invalid_parameter "body contains malformed input document"', async (t) => {
  for (const raw of ['{"input":', '[1, 2]', '"text"']) {
    const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/echo', raw);
    t.is(status, 400, raw);
    t.is(body.code, 'invalid_parameter');
    t.regex(body.message, /^body contains malformed input document: /);
  }
});

test('a body over the limit → 413 invalid_parameter, and the connection is closed', async (t) => {
  const big = JSON.stringify({ input: { pad: 'x'.repeat(70 * 1024) } });
  const { status, body, headers } = await post(sidecar.url, '/v1/data/fixture/misc/echo', big);
  t.is(status, 413);
  t.is(body.code, 'invalid_parameter');
  t.is(body.message, 'request body too large');
  t.is(headers.get('connection'), 'close');
});

test('a chunked body growing past the limit → 413 without reading it all', async (t) => {
  const { hostname: host, port } = new URL(sidecar.url);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host, port, method: 'POST', path: '/v1/data/fixture/misc/echo' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write('{"input": "');
    for (let i = 0; i < 80; i++) req.write('x'.repeat(1024));
    req.end('"}');
  });
  t.is(status, 413);
});

test('a gzip request body is accepted', async (t) => {
  const response = await fetch(`${sidecar.url}/v1/data/fixture/misc/echo`, {
    method: 'POST',
    headers: { 'content-encoding': 'gzip' },
    body: gzipSync(JSON.stringify({ input: { zipped: true } })),
  });
  t.is(response.status, 200);
  t.deepEqual(((await response.json()) as { result: unknown }).result, { zipped: true });
});

test('an evaluation error → 500 internal_error with the engine error in errors', async (t) => {
  // time.clock of a string nanosecond value is a built-in type error in WASM.
  const { status, body } = await post(sidecar.url, '/v1/data/fixture/misc/zone_clock', {
    input: { ns: 'x', zone: 'UTC' },
  });
  t.is(status, 500);
  t.is(body.code, 'internal_error');
  t.is(body.errors[0].code, 'evaluation_failed');
});

test('POST /v1/batch/data: every input answered under its id with its own decision_id → 200', async (t) => {
  const { status, body } = await post(sidecar.url, '/v1/batch/data/fixture/misc/maybe', {
    inputs: { yes: { answer: 'yes' }, no: { answer: 'no' } },
  });
  t.is(status, 200);
  t.is(body.responses.yes.result, 'yes');
  t.false('result' in body.responses.no);
  t.regex(body.responses.yes.decision_id, UUID);
  t.not(body.responses.yes.decision_id, body.responses.no.decision_id);
});

test('a batch where some inputs fail → 207 with http_status_code per response', async (t) => {
  const { status, body } = await post(sidecar.url, '/v1/batch/data/fixture/misc/zone_clock', {
    inputs: { good: { ns: 0, zone: 'UTC' }, bad: { ns: 'x', zone: 'UTC' } },
  });
  t.is(status, 207);
  t.is(body.responses.good.http_status_code, '200');
  t.deepEqual(body.responses.good.result, [0, 0, 0]);
  t.is(body.responses.bad.http_status_code, '500');
  t.is(body.responses.bad.code, 'internal_error');
});

test('a batch where every input fails → 500; a batch without inputs → 400; unknown path → 404', async (t) => {
  const failed = await post(sidecar.url, '/v1/batch/data/fixture/misc/zone_clock', {
    inputs: { a: { ns: 'x', zone: 'UTC' } },
  });
  t.is(failed.status, 500);
  t.is(failed.body.responses.a.code, 'internal_error');
  const missing = await post(sidecar.url, '/v1/batch/data/fixture/misc/echo', { input: {} });
  t.is(missing.status, 400);
  t.is(missing.body.code, 'invalid_parameter');
  const unknown = await post(sidecar.url, '/v1/batch/data/nope', { inputs: { a: {} } });
  t.is(unknown.status, 404);
  t.is(unknown.body.code, 'resource_not_found');
});

test('a batch over BATCH_MAX_INPUTS (default 1000) → 413 invalid_parameter; at the limit → 200', async (t) => {
  const inputs = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`i${i}`, { answer: 'yes' }]));
  const over = await post(sidecar.url, '/v1/batch/data/fixture/misc/maybe', { inputs: inputs(1001) });
  t.is(over.status, 413);
  t.is(over.body.code, 'invalid_parameter');
  t.is(over.body.message, 'batch holds 1001 inputs, at most 1000 are allowed');
  t.false('responses' in over.body);
  const limit = await post(sidecar.url, '/v1/batch/data/fixture/misc/maybe', { inputs: inputs(1000) });
  t.is(limit.status, 200);
  t.is(Object.keys(limit.body.responses).length, 1000);
  t.is(limit.body.responses.i999.result, 'yes');
});

test('BATCH_MAX_INPUTS=2: a batch of 3 → 413 invalid_parameter, a batch of 2 → 200', async (t) => {
  const small = await startTestSidecar({ BUNDLE_PATH: bundlePath, BATCH_MAX_INPUTS: '2' });
  try {
    const three = await post(small.url, '/v1/batch/data/fixture/misc/echo', { inputs: { a: 1, b: 2, c: 3 } });
    t.is(three.status, 413);
    t.is(three.body.code, 'invalid_parameter');
    // Refused before any input was evaluated.
    t.notRegex(
      await small.metrics.registry.metrics(),
      /verdict_sidecar_decisions_total\{path="fixture\/misc\/echo"/,
    );
    const two = await post(small.url, '/v1/batch/data/fixture/misc/echo', { inputs: { a: 1, b: 2 } });
    t.is(two.status, 200);
    t.deepEqual(two.body.responses.b.result, 2);
  } finally {
    await small.close();
  }
});

test('a batch evaluated over several chunks answers every input under its id; one failure → 207', async (t) => {
  const count = BATCH_CHUNK_INPUTS * 3 + 7;
  const inputs = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`i${i}`, { ns: i === count - 2 ? 'x' : i * 1e9, zone: 'UTC' }]),
  );
  const { status, body } = await post(sidecar.url, '/v1/batch/data/fixture/misc/zone_clock', { inputs });
  t.is(status, 207);
  t.deepEqual(Object.keys(body.responses), Object.keys(inputs));
  t.deepEqual(body.responses.i0.result, [0, 0, 0]);
  t.deepEqual(body.responses[`i${count - 1}`].result, [0, Math.floor((count - 1) / 60), (count - 1) % 60]);
  t.is(body.responses[`i${count - 2}`].http_status_code, '500');
  t.is(body.responses[`i${count - 2}`].code, 'internal_error');
});

test('a single decision sent while a 1000-input batch is being evaluated is answered before the batch', async (t) => {
  let batchStarted!: () => void;
  const started = new Promise<void>((resolve) => {
    batchStarted = resolve;
  });
  // The first decision-log event of the batch says its evaluation has begun.
  const probe: DecisionLogSink = {
    name: 'probe',
    write: (event) => {
      if ((event.input as PolicyInput | undefined)?.resource.id?.startsWith('batch-') === true)
        batchStarted();
    },
    close: () => Promise.resolve(),
  };
  const busy = await startTestSidecar({ BUNDLE_PATH: bundlePath }, { decisionLogSinks: () => [probe] });
  try {
    const inputs = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [
        `i${i}`,
        { ...input, resource: fixtureResource({ id: `batch-${i}` }) },
      ]),
    );
    const finished: string[] = [];
    const batch = post(busy.url, '/v1/batch/data/verdict/authz/decision', { inputs }).then((answer) => {
      finished.push('batch');
      return answer;
    });
    await started;
    const single = await post(busy.url, '/v1/data/verdict/authz/decision', { input });
    finished.push('single');
    const batchAnswer = await batch;
    t.deepEqual(finished, ['single', 'batch']);
    t.is(single.status, 200);
    t.deepEqual(single.body.result, ALLOW);
    t.is(batchAnswer.status, 200);
    t.is(Object.keys(batchAnswer.body.responses).length, 1000);
    t.deepEqual(batchAnswer.body.responses.i999.result, ALLOW);
  } finally {
    await busy.close();
  }
});

test('the official OPA client: evaluate gets the decision, undefined comes back as undefined', async (t) => {
  const client = new OPAClient(sidecar.url);
  t.deepEqual(await client.evaluate('verdict/authz/decision', input), ALLOW);
  t.is(await client.evaluate('fixture/misc/maybe', { answer: 'no' }), undefined);
  t.deepEqual(await client.evaluate('fixture/misc/echo', { a: [1, 'b'] }), { a: [1, 'b'] });
});

test('the official OPA client: evaluateBatch reads 200 and 207 answers', async (t) => {
  const client = new OPAClient(sidecar.url);
  const other = { ...input, resource: { ...input.resource, owner: 'bob' } };
  const answers = await client.evaluateBatch('verdict/authz/decision', { mine: input, theirs: other });
  t.deepEqual(answers.mine, ALLOW);
  t.is((answers.theirs as { allow: boolean }).allow, false);
  const mixed = await client.evaluateBatch('fixture/misc/zone_clock', {
    good: { ns: 0, zone: 'UTC' },
    bad: { ns: 'x', zone: 'UTC' },
  });
  t.deepEqual(mixed.good, [0, 0, 0]);
  t.is((mixed.bad as { code: string; httpStatusCode: string }).code, 'internal_error');
  t.is((mixed.bad as { httpStatusCode: string }).httpStatusCode, '500');
  await t.throwsAsync(() =>
    client.evaluateBatch('fixture/misc/zone_clock', { bad: { ns: 'x', zone: 'UTC' } }, { rejectMixed: true }),
  );
});

test('GET /health → 200 {}; ?bundles → 200 naming the active revision', async (t) => {
  const plain = await fetch(`${sidecar.url}/health`);
  t.is(plain.status, 200);
  t.deepEqual(await plain.json(), {});
  const bundles = await fetch(`${sidecar.url}/health?bundles`);
  t.is(bundles.status, 200);
  t.is(((await bundles.json()) as any).bundles.verdict.revision, 'api-rev');
});

test('GET /metrics exposes decisions by path and outcome, durations and the bundle revision', async (t) => {
  await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: 1 });
  const response = await fetch(`${sidecar.url}/metrics`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  t.regex(text, /verdict_sidecar_decisions_total\{path="fixture\/misc\/echo",outcome="defined"\} \d+/);
  t.regex(text, /verdict_sidecar_decisions_total\{path="_unknown",outcome="not_found"\} \d+/);
  t.regex(text, /verdict_sidecar_evaluation_duration_seconds_count\{path="fixture\/misc\/echo"\} \d+/);
  t.regex(text, /verdict_sidecar_bundle_info\{name="verdict",revision="api-rev"\} 1/);
  t.regex(text, /verdict_sidecar_bundle_last_successful_load_timestamp_seconds\{name="verdict"\} \d+/);
});

test('unknown routes → 404 resource_not_found; a wrong method → 405 with Allow', async (t) => {
  const missing = await fetch(`${sidecar.url}/v1/policies`);
  t.is(missing.status, 404);
  t.is(((await missing.json()) as any).code, 'resource_not_found');
  const wrong = await fetch(`${sidecar.url}/health`, { method: 'POST' });
  t.is(wrong.status, 405);
  t.is(wrong.headers.get('allow'), 'GET');
});

test('connections are kept alive between requests', async (t) => {
  const response = await fetch(`${sidecar.url}/health`);
  await response.arrayBuffer();
  t.is(response.headers.get('connection'), 'keep-alive');
});

test('without an active bundle: decisions → 503 internal_error, /health?bundles → 500, /health → 200', async (t) => {
  const empty = await startTestSidecar({ BUNDLE_PATH: join(dir.path, 'missing.tar.gz') });
  try {
    const { status, body } = await post(empty.url, '/v1/data/verdict/authz/decision', { input });
    t.is(status, 503);
    t.is(body.code, 'internal_error');
    const bundles = await fetch(`${empty.url}/health?bundles`);
    t.is(bundles.status, 500);
    const healthBody = (await bundles.json()) as any;
    t.is(healthBody.error, 'not all configured bundles have been activated');
    t.is(healthBody.bundles.verdict.last_error.reason, 'unreadable');
    t.is((await fetch(`${empty.url}/health`)).status, 200);
  } finally {
    await empty.close();
  }
});

test('SOCKET_PATH: the same API over a Unix socket', async (t) => {
  const socketPath = join(dir.path, 'sidecar.sock');
  const onSocket = await startTestSidecar({ BUNDLE_PATH: bundlePath, SOCKET_PATH: socketPath });
  try {
    t.is(onSocket.url, `unix:${socketPath}`);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ socketPath, method: 'POST', path: '/v1/data/fixture/misc/echo' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve(text);
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ input: 'over a socket' }));
    });
    t.is(JSON.parse(body).result, 'over a socket');
  } finally {
    await onSocket.close();
  }
});
