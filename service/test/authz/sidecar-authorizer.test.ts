import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyInput } from '../../src/authz/decision.js';
import {
  SidecarAuthorizer,
  type PdpCallOutcome,
  type SidecarAuthorizerOptions,
} from '../../src/authz/sidecar-authorizer.js';
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

/** A stand-in sidecar on an ephemeral port, or on a Unix socket with `{ unix: true }`. */
async function fakeSidecar(t: any, handler: Handler, options: { unix?: boolean } = {}) {
  const seen: { url: string; body: any }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', body: body === '' ? undefined : JSON.parse(body) });
      handler(req, res, body);
    });
  });
  let url: string;
  if (options.unix === true) {
    const dir = mkdtempSync(join(tmpdir(), 'verdict-pdp-'));
    const socketPath = join(dir, 'pdp.sock');
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    url = `unix:${socketPath}`;
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
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

/** An authorizer for `url` whose call outcomes are recorded; closed at teardown. */
function authorizerFor(t: any, url: string, options: Partial<SidecarAuthorizerOptions> = {}) {
  const outcomes: PdpCallOutcome[] = [];
  const authorizer = new SidecarAuthorizer({
    url,
    timeoutMs: 1000,
    now: Date.now,
    onCall: (_path, outcome) => outcomes.push(outcome),
    ...options,
  });
  t.teardown(() => authorizer.close());
  return { authorizer, outcomes };
}

/** Blocks this process's event loop (and so the client's) for `ms`. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the event loop cannot turn
  }
}

test('a decision travels with its id and bundle revision; the input is sent as OPA’s {input}', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 200, {
      result: ALLOW,
      decision_id: 'dec-1',
      provenance: { bundles: { verdict: { revision: 'rev-9' } } },
    }),
  );
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url);
  const result = await authorizer.decide(INPUT);
  t.deepEqual(result, { decision: ALLOW, decisionId: 'dec-1', revision: 'rev-9' });
  t.is(sidecar.seen[0]!.url, '/v1/data/verdict/authz/decision?provenance=true');
  t.deepEqual(sidecar.seen[0]!.body, { input: INPUT });
  t.deepEqual(outcomes, ['ok']);
});

test('over a Unix socket (PDP_URL=unix:/path) a decision arrives the same way', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) => json(res, 200, { result: ALLOW, decision_id: 'd' }), {
    unix: true,
  });
  const { authorizer } = authorizerFor(t, sidecar.url);
  const results = await Promise.all(Array.from({ length: 20 }, () => authorizer.decide(INPUT)));
  t.true(results.every((result) => result.decision.allow));
  t.is(sidecar.seen.length, 20);
});

test('an undefined result ({}) → 403 policy_no_decision', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) => json(res, 200, {}));
  const { authorizer } = authorizerFor(t, sidecar.url);
  await rejectsWith(t, authorizer.decide(INPUT), 403, 'policy_no_decision');
});

test('a malformed decision (allow as a string) → 403 policy_no_decision, never an allow', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 200, { result: { ...ALLOW, allow: 'true' } }),
  );
  const { authorizer } = authorizerFor(t, sidecar.url);
  await rejectsWith(t, authorizer.decide(INPUT), 403, 'policy_no_decision');
});

test('a body that is not JSON → 503 authorization_unavailable, never an allow', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"result": {"allow": tr'),
  );
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url);
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.deepEqual(outcomes, ['error']);
});

test('a 404 (path not compiled) → 403 policy_no_decision, not retried', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 404, { code: 'resource_not_found', message: 'x' }),
  );
  const { authorizer } = authorizerFor(t, sidecar.url);
  await rejectsWith(t, authorizer.decide(INPUT), 403, 'policy_no_decision');
  t.is(sidecar.seen.length, 1);
});

test('5xx → 503 authorization_unavailable', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    json(res, 500, { code: 'internal_error', message: 'x' }),
  );
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url);
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.deepEqual(outcomes, ['error']);
});

test('a sidecar slower than PDP_TIMEOUT_MS → 503 authorization_unavailable', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    setTimeout(() => json(res, 200, { result: ALLOW }), 500),
  );
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url, { timeoutMs: 50 });
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.deepEqual(outcomes, ['timeout']);
});

test('a hung sidecar → 503 at the deadline, and the abandoned connection does not hold up the next call', async (t) => {
  let calls = 0;
  const sidecar = await fakeSidecar(t, (_req, res) => {
    calls++;
    if (calls > 1) json(res, 200, { result: ALLOW }); // the first request is never answered
  });
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url, { timeoutMs: 50, connections: 1 });
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.true((await authorizer.decide(INPUT)).decision.allow);
  t.deepEqual(outcomes, ['timeout', 'ok']);
});

test('nothing listening → 503 authorization_unavailable', async (t) => {
  const { authorizer, outcomes } = authorizerFor(t, 'http://127.0.0.1:9', { timeoutMs: 200 });
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.deepEqual(outcomes, ['error']);
});

test('no Unix socket at the path → 503 authorization_unavailable', async (t) => {
  const { authorizer } = authorizerFor(t, `unix:${join(tmpdir(), 'verdict-no-such.sock')}`);
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
});

test.serial(
  'an answer that arrived while this process was busy past the deadline is not taken for a timeout',
  async (t) => {
    const sidecar = await fakeSidecar(t, (_req, res) => {
      json(res, 200, { result: ALLOW, decision_id: 'late-read' });
      // The answer is on the wire; this process reads it only after its deadline has passed.
      blockEventLoop(200);
    });
    const { authorizer, outcomes } = authorizerFor(t, sidecar.url, { timeoutMs: 50 });
    const result = await authorizer.decide(INPUT);
    t.is(result.decisionId, 'late-read');
    t.deepEqual(outcomes, ['ok']);
  },
);

test.serial(
  'load alone does not trip the deadline or the breaker: 200 concurrent calls to a healthy, busy sidecar all decide',
  async (t) => {
    // One request at a time, a few ms each, like a single event loop under load: the last of 200 calls
    // waits far longer than PDP_TIMEOUT_MS, all of it behind the others.
    const waiting: (() => void)[] = [];
    let busy = false;
    const next = (): void => {
      const answer = waiting.shift();
      if (answer === undefined) {
        busy = false;
        return;
      }
      busy = true;
      setTimeout(() => {
        answer();
        next();
      }, 2);
    };
    const sidecar = await fakeSidecar(t, (_req, res) => {
      waiting.push(() => json(res, 200, { result: ALLOW }));
      if (!busy) next();
    });
    const { authorizer, outcomes } = authorizerFor(t, sidecar.url, {
      timeoutMs: 100,
      queueTimeoutMs: 10_000,
    });
    const results = await Promise.all(Array.from({ length: 200 }, () => authorizer.decide(INPUT)));
    t.is(results.filter((result) => result.decision.allow).length, 200);
    t.is(outcomes.filter((outcome) => outcome === 'ok').length, 200);
    t.true(authorizer.ready());
  },
);

test.serial(
  'the deadline follows a grown tail (4 × recent p99, at most 10 × PDP_TIMEOUT_MS); a hung sidecar still times out',
  async (t) => {
    let delay: (i: number) => number = (i) => (i % 50 === 0 ? 15 : 0);
    let calls = 0;
    const sidecar = await fakeSidecar(t, (_req, res) => {
      const ms = delay(calls++);
      if (Number.isFinite(ms)) setTimeout(() => json(res, 200, { result: ALLOW }), ms);
    });
    const { authorizer, outcomes } = authorizerFor(t, sidecar.url, { timeoutMs: 30 });
    // 2 % of 512 answers take 15 ms or more, within the 30 ms floor: the deadline grows to 4 × their p99.
    await Promise.all(Array.from({ length: 512 }, () => authorizer.decide(INPUT)));
    delay = () => 45;
    t.true((await authorizer.decide(INPUT)).decision.allow, '45 ms is within the grown deadline');
    delay = () => Infinity;
    await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
    t.is(outcomes.at(-1), 'timeout');
  },
);

test('a call that waits longer than PDP_QUEUE_TIMEOUT_MS for a connection → 503 overloaded, not counted as a PDP failure', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) =>
    setTimeout(() => json(res, 200, { result: ALLOW }), 300),
  );
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url, {
    timeoutMs: 2000,
    queueTimeoutMs: 50,
    connections: 1,
    breaker: { minimumCalls: 1, failureRatio: 0.5 },
  });
  const first = authorizer.decide(INPUT);
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.true((await first).decision.allow);
  t.deepEqual(outcomes, ['overloaded', 'ok']);
  t.true(authorizer.ready(), 'load shedding leaves the circuit closed');
  t.is(sidecar.seen.length, 1, 'the refused call was never sent');
});

test('a failing sidecar opens the circuit only once the window holds the minimum volume', async (t) => {
  let clock = 0;
  const sidecar = await fakeSidecar(t, (_req, res) => json(res, 503, {}));
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url, {
    now: () => clock,
    breaker: { minimumCalls: 20, failureRatio: 0.5, windowMs: 10_000, openMs: 1000 },
  });
  for (let i = 0; i < 19; i++)
    await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.true(authorizer.ready(), '19 failures are below the minimum volume');
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 20);
  t.false(authorizer.ready(), 'the 20th failure opens it');
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 20, 'an open circuit sends nothing');
  t.is(outcomes.at(-1), 'circuit_open');
  clock += 1000;
  await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 21, 'half-open lets one trial through');
  t.false(authorizer.ready(), 'a failed trial opens it again');
});

test('a recovered sidecar closes the circuit with its first successful trial', async (t) => {
  let clock = 0;
  let healthy = false;
  const sidecar = await fakeSidecar(t, (_req, res) =>
    healthy ? json(res, 200, { result: ALLOW }) : json(res, 500, {}),
  );
  const { authorizer } = authorizerFor(t, sidecar.url, {
    now: () => clock,
    breaker: { minimumCalls: 4, openMs: 500 },
  });
  for (let i = 0; i < 4; i++)
    await rejectsWith(t, authorizer.decide(INPUT), 503, 'authorization_unavailable');
  t.false(authorizer.ready());
  healthy = true;
  clock += 500;
  t.true((await authorizer.decide(INPUT)).decision.allow);
  t.true(authorizer.ready());
  t.true((await authorizer.decide(INPUT)).decision.allow);
});

test('calls waiting for a connection when the circuit opens are refused unsent', async (t) => {
  const sidecar = await fakeSidecar(t, (_req, res) => setTimeout(() => json(res, 500, {}), 50));
  const { authorizer, outcomes } = authorizerFor(t, sidecar.url, {
    connections: 1,
    breaker: { minimumCalls: 1, failureRatio: 1 },
  });
  const calls = Array.from({ length: 5 }, () => authorizer.decide(INPUT));
  for (const call of calls) await rejectsWith(t, call, 503, 'authorization_unavailable');
  t.is(sidecar.seen.length, 1);
  t.deepEqual(outcomes, ['error', 'circuit_open', 'circuit_open', 'circuit_open', 'circuit_open']);
});

test('batch and list filter use their entrypoints and check their shapes', async (t) => {
  const sidecar = await fakeSidecar(t, (req, res) => {
    if (req.url?.startsWith('/v1/data/verdict/authz/batch'))
      json(res, 200, { result: { decisions: [ALLOW] } });
    else json(res, 200, { result: { any_of: [{ owner: 'alice' }] } });
  });
  const { authorizer } = authorizerFor(t, sidecar.url);
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
  t.is(sidecar.seen[0]!.url, '/v1/data/verdict/authz/batch?provenance=true');
  t.is(sidecar.seen[2]!.url, '/v1/data/verdict/authz/list_filter?provenance=true');
});
