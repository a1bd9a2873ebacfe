import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import type { RunningSidecar } from '../../src/sidecar.js';
import { buildWasmBundle, FIXTURE_POLICY, OPA, tempDir } from '../helpers/opa.js';
import { ENVIRONMENT, fixtureResource } from '../helpers/fixtures.js';
import { startTestSidecar, waitFor } from '../helpers/sidecar.js';

const run = promisify(execFile);

/**
 * The same HTTP requests to the sidecar (WASM bundle) and to a real `opa run --server` loaded with the
 * Rego bundle of the same sources and revision: status and body must be identical, decision_id aside.
 */

let dir: { path: string; remove: () => Promise<void> };
let sidecar: RunningSidecar;
let opa: ChildProcess;
let opaUrl: string;

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

test.before(async () => {
  dir = await tempDir();
  const wasm = await buildWasmBundle(dir.path, { revision: 'parity-rev' });
  const rego = join(dir.path, 'rego.tar.gz');
  await run(OPA, ['build', '-b', '--revision', 'parity-rev', '-o', rego, '.'], { cwd: FIXTURE_POLICY });
  const port = await freePort();
  opaUrl = `http://127.0.0.1:${port}`;
  opa = spawn(
    OPA,
    ['run', '--server', '--addr', `127.0.0.1:${port}`, '--bundle', rego, '--log-level', 'error'],
    {
      stdio: 'ignore',
      env: { ...process.env, TZ: 'UTC' },
    },
  );
  sidecar = await startTestSidecar({ BUNDLE_PATH: wasm });
  await waitFor(
    () =>
      fetch(`${opaUrl}/health?bundles`).then(
        (r) => r.ok,
        () => false,
      ),
    'opa run --server to answer',
  );
});

test.after.always(async () => {
  opa.kill('SIGTERM');
  await sidecar.close();
  await dir.remove();
});

const claims = { sub: 'alice', client_id: 'web-app', scope: 'transactions:read' };
const environment = ENVIRONMENT;
const resource = fixtureResource();
const decisionInput = (over: Record<string, unknown> = {}) => ({
  subject: { claims },
  action: 'transactions:read',
  resource,
  environment,
  ...over,
});

/** [name, path (with query), raw body]. */
const CASES: readonly (readonly [string, string, string])[] = [
  ['owner reads', '/v1/data/verdict/authz/decision', JSON.stringify({ input: decisionInput() })],
  [
    'support role, redactions from data',
    '/v1/data/verdict/authz/decision',
    JSON.stringify({ input: decisionInput({ subject: { claims: { ...claims, roles: ['support'] } } }) }),
  ],
  [
    'another owner',
    '/v1/data/verdict/authz/decision',
    JSON.stringify({ input: decisionInput({ resource: { ...resource, owner: 'bob' } }) }),
  ],
  [
    'step-up amount',
    '/v1/data/verdict/authz/decision',
    JSON.stringify({ input: decisionInput({ resource: { ...resource, amount_minor: 250_000 } }) }),
  ],
  ...(
    [
      ['2026-03-27T07:30:00Z', 'Friday before DST'],
      ['2026-03-30T07:30:00Z', 'Monday after DST'],
      ['2026-03-28T10:00:00Z', 'Saturday'],
    ] as const
  ).map(
    ([now, label]) =>
      [
        `approval ${label}`,
        '/v1/data/verdict/authz/decision',
        JSON.stringify({
          input: decisionInput({ action: 'transactions:approve', environment: { ...environment, now } }),
        }),
      ] as const,
  ),
  [
    'undefined decision (no owner)',
    '/v1/data/verdict/authz/decision',
    JSON.stringify({ input: decisionInput({ resource: { type: 'transaction' } }) }),
  ],
  [
    'batch of three',
    '/v1/data/verdict/authz/batch',
    JSON.stringify({
      input: {
        subject: { claims },
        action: 'transactions:read',
        environment,
        resources: [resource, { ...resource, owner: 'bob' }, { ...resource, amount_minor: 250_000 }],
      },
    }),
  ],
  [
    'list filter, customer',
    '/v1/data/verdict/authz/list_filter',
    JSON.stringify({ input: { subject: { claims }, action: 'transactions:list', environment } }),
  ],
  [
    'list filter, support',
    '/v1/data/verdict/authz/list_filter',
    JSON.stringify({
      input: {
        subject: { claims: { ...claims, roles: ['support'], department: 'retail' } },
        action: 'transactions:list',
        environment,
      },
    }),
  ],
  [
    'time facts across zones',
    '/v1/data/fixture/time/facts',
    JSON.stringify({
      input: {
        cases: [
          { at: '2026-03-29T00:59:59Z', tz: 'Europe/Berlin', years: 0, months: 1, days: 1 },
          { at: '2026-11-01T06:30:00Z', tz: 'America/New_York', years: 1, months: 0, days: -1 },
        ],
      },
    }),
  ],
  [
    'echo object',
    '/v1/data/fixture/misc/echo',
    '{"input": {"b": [1, 2.5, "x", null, true], "a": {"é": "ü"}}}',
  ],
  ['echo false', '/v1/data/fixture/misc/echo', '{"input": false}'],
  ['echo 0', '/v1/data/fixture/misc/echo', '{"input": 0}'],
  ['echo empty string', '/v1/data/fixture/misc/echo', '{"input": ""}'],
  ['echo null input', '/v1/data/fixture/misc/echo', '{"input": null}'],
  ['no input key', '/v1/data/fixture/misc/echo', '{}'],
  ['empty body', '/v1/data/fixture/misc/echo', ''],
  ['maybe yes', '/v1/data/fixture/misc/maybe', '{"input": {"answer": "yes"}}'],
  ['maybe undefined', '/v1/data/fixture/misc/maybe', '{"input": {"answer": "no"}}'],
  ['provenance', '/v1/data/fixture/misc/echo?provenance=true', '{"input": 1}'],
];

async function ask(base: string, path: string, body: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body });
  const parsed = (await response.json()) as Record<string, unknown>;
  delete parsed.decision_id;
  if (typeof parsed.provenance === 'object' && parsed.provenance !== null) {
    // Versions and bundle names differ by design; the revision is what must agree.
    const bundles = (parsed.provenance as { bundles: Record<string, { revision: string }> }).bundles;
    parsed.provenance = { revisions: Object.values(bundles).map((b) => b.revision) };
  }
  return { status: response.status, body: parsed };
}

for (const [name, path, body] of CASES) {
  test(`same answer as opa run --server: ${name}`, async (t) => {
    const [ours, theirs] = await Promise.all([ask(sidecar.url, path, body), ask(opaUrl, path, body)]);
    t.is(ours.status, theirs.status);
    t.deepEqual(ours.body, theirs.body);
  });
}

test('same status and code as opa run --server for malformed JSON', async (t) => {
  for (const body of ['{"input":', '[1]']) {
    const [ours, theirs] = await Promise.all([
      ask(sidecar.url, '/v1/data/fixture/misc/echo', body),
      ask(opaUrl, '/v1/data/fixture/misc/echo', body),
    ]);
    t.is(ours.status, 400);
    t.is(theirs.status, 400);
    t.is(ours.body.code, theirs.body.code);
    t.regex(ours.body.message, /^body contains malformed input document: /);
    t.regex(theirs.body.message, /^body contains malformed input document: /);
  }
});

test('a built-in error: 500 internal_error like opa run --server with ?strict-builtin-errors', async (t) => {
  const body = '{"input": {"ns": "x", "zone": "UTC"}}';
  const [ours, theirs] = await Promise.all([
    ask(sidecar.url, '/v1/data/fixture/misc/zone_clock', body),
    ask(opaUrl, '/v1/data/fixture/misc/zone_clock?strict-builtin-errors', body),
  ]);
  t.is(ours.status, 500);
  t.is(theirs.status, 500);
  t.is(ours.body.code, theirs.body.code);
  t.is(ours.body.message, theirs.body.message);
});
