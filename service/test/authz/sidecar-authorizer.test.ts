import test from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CircuitBreaker, CircuitOpenError } from '../../src/authz/circuit-breaker.js';
import type { PolicyInput } from '../../src/authz/decision.js';
import { SidecarAuthorizer } from '../../src/authz/sidecar-authorizer.js';
import { ApiError } from '../../src/errors.js';

const INPUT: PolicyInput = {
  subject: {
    claims: {
      sub: 'alice',
      client_id: 'web',
      scope: 'transactions:read',
    },
  },
  action: 'transactions:read',
  resource: { type: 'transaction', id: 't-1', owner: 'alice' },
  environment: { now: '2026-11-23T10:00:00Z', request_id: 'r-1', ip: '127.0.0.1' },
};
const ALLOW = { allow: true, visible: true, reasons: [], redact: [] };

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function fakeSidecar(t: any, handler: Handler) {
  const seen: { url: string; body: any }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', body: body === '' ? undefined : JSON.parse(body) });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url, seen };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function rejectsWith(t: any, promise: Promise<unknown>, status: number, code: string): Promise<void> {
  const error = await t.throwsAsync(promise, { instanceOf: ApiError });
  t.is(error.status, status);
  t.is(error.code, code);
}

test('a decision travels with its id and bundle revision; the input is sent as OPA’s {input}', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 200, {
      result: ALLOW,
      decision_id: 'dec-1',
      provenance: { bundles: { verdict: { revision: 'rev-9' } } },
    }),
  );
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 1000, now: Date.now });
  t.teardown(() => authorizer.close());
  const result = await authorizer.decide(INPUT);
  t.deepEqual(result, { decision: ALLOW, decisionId: 'dec-1', revision: 'rev-9' });
  t.is(sidecar.seen[0]!.url, '/v1/data/verdict/authz/decision?provenance=true');
  t.deepEqual(sidecar.seen[0]!.body, { input: INPUT });
});

test('an undefined result ({}) → 403 policy_no_decision', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) => json(res, 200, {}));
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 1000, now: Date.now });
  t.teardown(() => authorizer.close());
  await rejectsWith(t, authorizer.decide(INPUT), 403, 'policy_no_decision');
});

test('a malformed decision (allow as a string) → 403 policy_no_decision, never an allow', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 200, { result: { ...ALLOW, allow: 'true' } }),
  );
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 1000, now: Date.now });
  t.teardown(() => authorizer.close());
  await rejectsWith(t, authorizer.decide(INPUT), 403, 'policy_no_decision');
});

test('a 404 (path not compiled) → 403 policy_no_decision, not retried', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 404, { code: 'resource_not_found', message: 'x' }),
  );
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 1000, now: Date.now });
  t.teardown(() => authorizer.close());
  await rejectsWith(t, authorizer.decide(INPUT), 403, 'policy_no_decision');
  t.is(sidecar.seen.length, 1);
});

test('5xx → 503 authorization_unavailable', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 500, { code: 'internal_error', message: 'x' }),
  );
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 1000, now: Date.now });
  t.teardown(() => authorizer.close());
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
});

test('a sidecar slower than PDP_TIMEOUT_MS → 503 authorization_unavailable', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    setTimeout(() => json(res, 200, { result: ALLOW }), 500),
  );
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 50, now: Date.now });
  t.teardown(() => authorizer.close());
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
});

test('nothing listening → 503 authorization_unavailable', async (t) => {
  const authorizer = new SidecarAuthorizer({ url: 'http://127.0.0.1:9', timeoutMs: 200, now: Date.now });
  t.teardown(() => authorizer.close());
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
});

test('repeated failures open the circuit: calls fail at once without reaching the sidecar', async (t) => {
  let clock = 0;
  const sidecar = await fakeSidecar(t, (_req, res) => json(res, 503, {}));
  const authorizer = new SidecarAuthorizer({
    url: sidecar.url,
    timeoutMs: 1000,
    now: () => clock,
    breaker: { failureThreshold: 3, openMs: 1000 },
  });
  t.teardown(() => authorizer.close());
  for (let i = 0; i < 3; i++)
    await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 3);
  t.false(authorizer.ready());
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 3, 'an open circuit sends nothing');
  clock += 1000;
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 4, 'half-open lets one trial through');
});

test('batch and list filter use their entrypoints and check their shapes', async (t) => {
  const sidecar = await fakeSidecar(t, (req, res) => {
    if (req.url?.startsWith('/v1/data/verdict/authz/batch'))
      json(res, 200, { result: { decisions: [ALLOW] } });
    else json(res, 200, { result: { any_of: [{ owner: 'alice' }] } });
  });
  const authorizer = new SidecarAuthorizer({ url: sidecar.url, timeoutMs: 1000, now: Date.now });
  t.teardown(() => authorizer.close());
  const { subject, environment } = INPUT;
  const batch = await authorizer.decideBatch({
    subject,
    environment,
    action: 'transactions:list',
    resources: [INPUT.resource],
  });
  t.deepEqual(batch.decisions, [ALLOW]);
  await rejectsWith(
    t,
    authorizer.decideBatch({
      subject,
      environment,
      action: 'transactions:list',
      resources: [INPUT.resource, INPUT.resource],
    }),
    403,
    'policy_no_decision',
  );
  const filter = await authorizer.listFilter({ subject, environment, action: 'transactions:list' });
  t.deepEqual(filter.anyOf, [{ owner: 'alice' }]);
});

test('circuit breaker: a success closes it again; failures that do not count leave it closed', async (t) => {
  let clock = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 2, openMs: 100, now: () => clock });
  const fail = () => Promise.reject(new Error('down'));
  await t.throwsAsync(breaker.run(fail, () => false));
  await t.throwsAsync(breaker.run(fail, () => false));
  t.is(breaker.state, 'closed');
  await t.throwsAsync(breaker.run(fail, () => true));
  await t.throwsAsync(breaker.run(fail, () => true));
  t.is(breaker.state, 'open');
  await t.throwsAsync(
    breaker.run(
      () => Promise.resolve(1),
      () => true,
    ),
    { instanceOf: CircuitOpenError },
  );
  clock += 100;
  t.is(breaker.state, 'half-open');
  t.is(
    await breaker.run(
      () => Promise.resolve(2),
      () => true,
    ),
    2,
  );
  t.is(breaker.state, 'closed');
});
