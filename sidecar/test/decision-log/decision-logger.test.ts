import { createServer, type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import {
  DecisionLogger,
  type DecisionLogEvent,
  type DecisionLogSink,
} from '../../src/decision-log/decision-logger.js';
import { UploadSink } from '../../src/decision-log/upload-sink.js';
import { Engine } from '../../src/engine.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { buildWasmBundle, tempDir } from '../helpers/opa.js';
import { post, startTestSidecar, waitFor } from '../helpers/sidecar.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2VjcmV0LXNpZ25hdHVyZQ';
const SECRETS = [JWT, 'hunter2', 'sk_live_123', 'opaque-refresh'];

/** An input carrying credentials in the ways they leak: by key name and by value. */
const leakyInput = {
  subject: { claims: { sub: 'alice', client_id: 'web', scope: 'transactions:read', access_token: JWT } },
  action: 'transactions:read',
  headers: { authorization: `Bearer ${JWT}` },
  password: 'hunter2',
  nested: [{ api_key: 'sk_live_123' }, { note: JWT }],
  refreshToken: 'opaque-refresh',
  environment: { now: '2026-11-23T10:00:00Z', ip: '203.0.113.7' },
};

let dir: { path: string; remove: () => Promise<void> };
let bundlePath: string;

test.before(async () => {
  dir = await tempDir();
  bundlePath = await buildWasmBundle(dir.path, { revision: 'log-rev' });
});

test.after.always(async () => {
  await dir.remove();
});

class MemorySink implements DecisionLogSink {
  readonly name = 'memory';
  readonly events: DecisionLogEvent[] = [];
  write(event: DecisionLogEvent): void {
    this.events.push(event);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function withSidecar<T>(
  env: Record<string, string>,
  sinks: ((onDrop: (sink: string, n: number) => void) => DecisionLogSink[]) | undefined,
  body: (s: RunningSidecar) => Promise<T>,
): Promise<T> {
  const sidecar = await startTestSidecar(
    { BUNDLE_PATH: bundlePath, ...env },
    sinks === undefined ? {} : { decisionLogSinks: sinks },
  );
  try {
    return await body(sidecar);
  } finally {
    await sidecar.close();
  }
}

test('a Data API decision is logged in OPA event shape, with its decision_id, masked', async (t) => {
  const sink = new MemorySink();
  await withSidecar(
    { DECISION_LOG_MASK: '/input/environment/ip' },
    () => [sink],
    async (sidecar) => {
      const { body } = await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: leakyInput });
      await waitFor(() => sink.events.length === 1, 'the decision-log event');
      const [event] = sink.events;
      t.is(event!.decision_id, body.decision_id);
      t.is(event!.path, 'fixture/misc/echo');
      t.deepEqual(event!.bundles, { verdict: { revision: 'log-rev' } });
      t.deepEqual(Object.keys(event!.labels).sort(), ['id', 'version']);
      t.true(Number.isSafeInteger(event!.metrics.timer_rego_query_eval_ns));
      t.regex(event!.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      t.deepEqual(event!.input, {
        subject: { claims: { sub: 'alice', client_id: 'web', scope: 'transactions:read' } },
        action: 'transactions:read',
        headers: {},
        nested: [{}, {}],
        environment: { now: '2026-11-23T10:00:00Z' },
      });
      t.deepEqual(
        [...event!.erased!].sort(),
        [
          '/input/environment/ip',
          '/input/subject/claims/access_token',
          '/input/headers/authorization',
          '/input/password',
          '/input/nested/0/api_key',
          '/input/nested/1/note',
          '/input/refreshToken',
          '/result/subject/claims/access_token',
          '/result/headers/authorization',
          '/result/password',
          '/result/nested/0/api_key',
          '/result/nested/1/note',
          '/result/refreshToken',
        ].sort(),
      );
      const line = JSON.stringify(sink.events);
      for (const secret of SECRETS) t.false(line.includes(secret), secret);
    },
  );
});

test("an undefined decision is logged without result; an error with OPA's error field", async (t) => {
  const sink = new MemorySink();
  await withSidecar(
    {},
    () => [sink],
    async (sidecar) => {
      await post(sidecar.url, '/v1/data/fixture/misc/maybe', { input: { answer: 'no' } });
      await post(sidecar.url, '/v1/data/fixture/misc/zone_clock', { input: { ns: 'x', zone: 'UTC' } });
      await waitFor(() => sink.events.length === 2, 'two events');
      t.false('result' in sink.events[0]!);
      t.is(sink.events[1]!.error?.code, 'evaluation_failed');
    },
  );
});

test('DECISION_LOG=file:<path>: JSON lines appended to the file, no credential in it', async (t) => {
  const file = join(dir.path, 'decisions.log');
  await withSidecar({ DECISION_LOG: `file:${file}` }, undefined, async (sidecar) => {
    const first = await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: leakyInput });
    const second = await post(sidecar.url, '/v1/data/verdict/authz/decision', { input: leakyInput });
    await waitFor(
      async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').length === 3,
      'two lines',
    );
    const text = await readFile(file, 'utf8');
    const events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DecisionLogEvent);
    t.deepEqual(
      events.map((e) => e.decision_id),
      [first.body.decision_id, second.body.decision_id],
    );
    for (const secret of SECRETS) t.false(text.includes(secret), secret);
  });
});

test('DECISION_LOG=file:<path>: credentials inside ordinary strings and in an error message never reach the file', async (t) => {
  const file = join(dir.path, 'decisions-shapes.log');
  const values = [`DPoP ${JWT}`, `  ${JWT}`, `x ${JWT}`, `token=${JWT}`, `Bearer opaque-1`];
  await withSidecar({ DECISION_LOG: `file:${file}` }, undefined, async (sidecar) => {
    const echo = await post(sidecar.url, '/v1/data/fixture/misc/echo', {
      input: { note: values[0], memo: values[1], list: values.slice(2), category: 'basic groceries' },
    });
    t.is(echo.status, 200);
    // The built-in's error message quotes the input it could not parse.
    const failed = await post(sidecar.url, '/v1/data/fixture/time/parsed', { input: { at: JWT } });
    t.is(failed.status, 500);
    t.is(failed.body.code, 'internal_error');
    await waitFor(
      async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').length === 3,
      'two lines',
    );
    const text = await readFile(file, 'utf8');
    const [logged, errored] = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DecisionLogEvent);
    t.deepEqual(logged!.input, { list: [null, null, null], category: 'basic groceries' });
    t.deepEqual(logged!.result, { list: [null, null, null], category: 'basic groceries' });
    t.is(errored!.error?.code, 'evaluation_failed');
    t.regex(errored!.error?.message ?? '', /cannot parse \[masked\] as RFC 3339/);
    t.false(text.includes(JWT.split('.')[2]!));
    t.false(text.includes('opaque-1'));
  });
});

/** A collector that records uploads, or holds them unanswered. */
async function collector(hold = false) {
  const uploads: { headers: IncomingHttpHeaders; events: DecisionLogEvent[]; raw: Buffer }[] = [];
  let received = 0;
  const server = createServer((request, response) => {
    received += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      uploads.push({
        headers: request.headers,
        raw,
        events: JSON.parse(gunzipSync(raw).toString()) as DecisionLogEvent[],
      });
      if (!hold) response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/logs`);
  return {
    url,
    uploads,
    received: () => received,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

test('embedded use: DecisionLogger on an Engine uploads gzip batches an OPA collector accepts, masked', async (t) => {
  const server = await collector();
  const sink = new UploadSink({ url: server.url, flushIntervalMs: 20 });
  const logger = new DecisionLogger({ sinks: [sink], bundleName: 'verdict' });
  const engine = await Engine.fromFile(bundlePath, { onDecision: logger.listener });
  try {
    const ids = [1, 2, 3].map((n) => engine.query('fixture/misc/echo', { ...leakyInput, n }).decisionId);
    await waitFor(() => server.uploads.flatMap((u) => u.events).length === 3, 'three uploaded events');
    const [upload] = server.uploads;
    t.is(upload!.headers['content-encoding'], 'gzip');
    t.is(upload!.headers['content-type'], 'application/json');
    t.deepEqual(
      server.uploads.flatMap((u) => u.events.map((e) => e.decision_id)),
      ids,
    );
    const uploaded = server.uploads.map((u) => gunzipSync(u.raw).toString()).join('');
    for (const secret of SECRETS) t.false(uploaded.includes(secret), secret);
  } finally {
    await logger.close();
    await server.close();
  }
});

test('collector down: every decision still answers 200, dropped events are counted in /metrics', async (t) => {
  const down = await collector();
  await down.close();
  let upload: UploadSink | undefined;
  await withSidecar(
    {},
    (onDrop) => [
      (upload = new UploadSink({ url: down.url, flushIntervalMs: 10, maxBufferEvents: 5, onDrop })),
    ],
    async (sidecar) => {
      const statuses = [];
      for (let i = 0; i < 40; i++)
        statuses.push((await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: i })).status);
      t.deepEqual(new Set(statuses), new Set([200]));
      const dropped = async () => {
        const text = await sidecar.metrics.registry.metrics();
        return Number(
          /verdict_sidecar_decision_logs_dropped_total\{sink="upload"\} (\d+)/.exec(text)?.[1] ?? 0,
        );
      };
      await waitFor(
        async () => (await dropped()) + upload!.buffered === 40,
        'every event dropped or buffered',
      );
      t.true((await dropped()) >= 35);
      t.true(upload!.buffered <= 5);
    },
  );
});

test('a collector that never answers does not slow decisions down', async (t) => {
  const slow = await collector(true);
  await withSidecar(
    {},
    (onDrop) => [new UploadSink({ url: slow.url, flushIntervalMs: 10, timeoutMs: 60_000, onDrop })],
    async (sidecar) => {
      await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: 'first' });
      await waitFor(() => slow.received() >= 1, 'an upload to hang');
      for (let i = 0; i < 20; i++)
        t.is((await post(sidecar.url, '/v1/data/fixture/misc/echo', { input: i })).status, 200);
      // The first upload is still hanging (no second one was started), and every decision was answered.
      t.is(slow.received(), 1);
      await slow.close();
    },
  );
});

test('the pending queue is bounded: beyond maxPending records are dropped and reported, never queued', (t) => {
  const drops: [string, number][] = [];
  const sink = new MemorySink();
  const logger = new DecisionLogger({
    sinks: [sink],
    bundleName: 'verdict',
    maxPending: 3,
    onDrop: (s, n) => drops.push([s, n]),
  });
  const record = {
    decisionId: 'd',
    path: 'p',
    input: {},
    result: true,
    revision: 'r',
    timestamp: new Date(0),
    evalNs: 1,
  };
  for (let i = 0; i < 10; i++) logger.log(record);
  t.is(drops.length, 7);
  t.deepEqual(drops[0], ['pending', 1]);
});
