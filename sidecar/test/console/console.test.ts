import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { isLoopbackAddress, isLoopbackHost, sameSecret } from '../../src/console/access.js';
import { CONSOLE_HEADERS, isConsolePath } from '../../src/console/console.js';
import { RecentDecisions } from '../../src/console/recent-decisions.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { DecisionLogEvent } from '../../src/decision-log/decision-logger.js';
import type { RunningSidecar } from '../../src/sidecar.js';
import { post, startTestSidecar, waitFor } from '../helpers/sidecar.js';
import { consoleSession, decisionInput, REAL_BUNDLE, REAL_KEYS } from './console-fixtures.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let sidecar: RunningSidecar;
let base: string;
let key: string;

test.before(async () => {
  sidecar = await startTestSidecar({
    BUNDLE_PATH: REAL_BUNDLE,
    BUNDLE_PUBLIC_KEYS: REAL_KEYS,
    CONSOLE: 'on',
    DECISION_LOG_MASK: '/input/environment/ip',
  });
  base = sidecar.url;
  key = sidecar.console!.key;
  const inputs = [
    decisionInput({ sub: 'alice', action: 'transactions:read', owner: 'alice', id: 'tx-1' }),
    decisionInput({ sub: 'alice', action: 'transactions:read', owner: 'bob', id: 'tx-2' }),
    decisionInput({ sub: 'bob', action: 'transactions:read', owner: 'bob', id: 'tx-3' }),
    decisionInput({ sub: 'bob', action: 'transactions:delete', owner: 'bob', id: 'tx-3' }),
  ];
  for (const input of inputs) {
    const answer = await post(base, '/v1/data/verdict/authz/decision', { input });
    if (answer.status !== 200) throw new Error(`decision failed: ${answer.status}`);
  }
  await waitFor(() => sidecar.console!.decisions.size === inputs.length, 'the console to hold the decisions');
});

test.after.always(async () => {
  await sidecar.close();
});

async function get(path: string, cookie?: string): Promise<Response> {
  return fetch(`${base}${path}`, { redirect: 'manual', headers: cookie === undefined ? {} : { cookie } });
}

test('the access key is 32 random bytes in base64url, and a new one per start', async (t) => {
  t.regex(key, /^[A-Za-z0-9_-]{43}$/);
  const other = await startTestSidecar({ BUNDLE_PATH: REAL_BUNDLE, CONSOLE: 'on' });
  try {
    t.not(other.console!.key, key);
    t.is(
      other.console!.loginUrl('http://127.0.0.1:1'),
      `http://127.0.0.1:1/console/?key=${other.console!.key}`,
    );
  } finally {
    await other.close();
  }
});

test('a wrong key → 401 with a plain page and no cookie; the right key → a session cookie, not the key', async (t) => {
  const wrong = await get(`/console/?key=${'A'.repeat(43)}`);
  t.is(wrong.status, 401);
  t.is(wrong.headers.get('set-cookie'), null);
  t.regex(await wrong.text(), /that access key is not valid/);

  const right = await get(`/console/?key=${key}`);
  t.is(right.status, 303);
  t.is(right.headers.get('location'), '/console/');
  const cookie = right.headers.get('set-cookie') ?? '';
  t.regex(
    cookie,
    /^verdict_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
  );
  t.false(cookie.includes(key));
});

test('the login form takes the key from a same-origin POST only', async (t) => {
  const form = (k: string, origin?: string): Promise<Response> =>
    fetch(`${base}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(origin === undefined ? {} : { origin }),
      },
      body: new URLSearchParams({ key: k }).toString(),
    });
  t.is((await form(key, base)).status, 303);
  t.is((await form('nope', base)).status, 401);
  t.is((await form(key)).status, 403);
  t.is((await form(key, 'http://evil.example')).status, 403);
  // A browser's own word wins: a form from another site is refused whatever Origin says.
  const site = (value: string): Promise<Response> =>
    fetch(`${base}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': value, origin: base },
      body: new URLSearchParams({ key }).toString(),
    });
  t.is((await site('cross-site')).status, 403);
  t.is((await site('same-site')).status, 403);
  t.is((await site('same-origin')).status, 303);
});

test('every console answer is no-store with a strict CSP, nosniff and no referrer', async (t) => {
  const cookie = await consoleSession(base, key);
  for (const [path, withCookie] of [
    ['/console/', false],
    ['/console/', true],
    ['/console/console.js', false],
    ['/console/console.css', false],
    ['/console/api/status', true],
    ['/console/api/status', false],
    [`/console/?key=x`, false],
  ] as const) {
    const response = await get(path, withCookie ? cookie : undefined);
    for (const [name, value] of Object.entries(CONSOLE_HEADERS))
      t.is(response.headers.get(name), value, `${path} ${name}`);
  }
  t.false(CONSOLE_HEADERS['content-security-policy']!.includes('unsafe'));
  t.regex(CONSOLE_HEADERS['content-security-policy']!, /script-src 'self'/);
  const page = await (await get('/console/', cookie)).text();
  t.notRegex(page, /<script>|<script [^>]*>[^<]/, 'no inline script');
  t.notRegex(page, /style=/, 'no inline style');
  const script = await get('/console/console.js');
  t.is(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.notRegex(await script.text(), /localStorage|sessionStorage|indexedDB|document\.cookie/);
});

test('the API needs the session: 401 without it, and after logout', async (t) => {
  t.is((await get('/console/api/status')).status, 401);
  t.is((await get('/console/api/decisions', 'verdict_console=forged')).status, 401);
  const cookie = await consoleSession(base, key);
  t.is((await get('/console/api/status', cookie)).status, 200);
  const out = await fetch(`${base}/console/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, origin: base },
  });
  t.is(out.status, 303);
  t.regex(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
  t.is((await get('/console/api/status', cookie)).status, 401);
});

test('status shows the active revision and that it is signed, and no shadow bundle', async (t) => {
  const cookie = await consoleSession(base, key);
  const body: any = await (await get('/console/api/status', cookie)).json();
  t.is(body.active.revision, sidecar.manager.active!.revision);
  t.true(body.active.signed);
  t.deepEqual(body.active.entrypoints, [
    'verdict/authz/batch',
    'verdict/authz/decision',
    'verdict/authz/list_filter',
  ]);
  t.is(body.shadow, null);
  t.deepEqual(body.decisions, { held: 4, capacity: 1000 });
});

test('recent decisions filter by action, outcome, reason and subject; a detail shows input and result, masked', async (t) => {
  const cookie = await consoleSession(base, key);
  const list = async (query: string): Promise<any> =>
    (await get(`/console/api/decisions?${query}`, cookie)).json();
  const all = await list('');
  t.is(all.matched, 4);
  t.deepEqual(
    all.decisions.map((d: any) => [d.subject, d.action, d.resource_id, d.outcome]),
    [
      ['bob', 'transactions:delete', 'tx-3', 'deny'],
      ['bob', 'transactions:read', 'tx-3', 'allow'],
      ['alice', 'transactions:read', 'tx-2', 'deny'],
      ['alice', 'transactions:read', 'tx-1', 'allow'],
    ],
  );
  t.false('event' in all.decisions[0], 'the list carries no inputs');
  t.deepEqual(all.facets.actions, ['transactions:delete', 'transactions:read']);
  t.is((await list('action=transactions:read')).matched, 3);
  t.is((await list('outcome=deny')).matched, 2);
  t.is((await list('action=transactions:read&outcome=deny')).matched, 1);
  t.is((await list('subject=alice')).matched, 2);
  t.is((await list('subject=web-app')).matched, 4, 'client_id matches too');
  t.is((await list('reason=not_owner')).matched, 1);
  t.is((await list('shadow=true')).matched, 0);
  t.is((await get('/console/api/decisions?outcome=maybe', cookie)).status, 400);

  const denied = (await list('reason=not_owner')).decisions[0];
  const detail: any = await (await get(`/console/api/decisions/${denied.decision_id}`, cookie)).json();
  t.is(detail.event.input.resource.owner, 'bob');
  t.false(detail.event.result.allow);
  t.deepEqual(
    detail.event.result.reasons.map((r: any) => r.code),
    ['not_owner'],
  );
  t.false('ip' in detail.event.input.environment, 'DECISION_LOG_MASK applies');
  t.deepEqual(detail.event.erased, ['/input/environment/ip']);
  t.is((await get('/console/api/decisions/unknown-id', cookie)).status, 404);
  t.is((await get('/console/api/decisions/%E0%A4%A', cookie)).status, 400);
});

test('evaluate runs an input on the active bundle, unlogged; POSTs need the session and the same Origin', async (t) => {
  const cookie = await consoleSession(base, key);
  const body = JSON.stringify({
    path: 'verdict/authz/decision',
    input: decisionInput({ sub: 'carol', action: 'transactions:read', owner: 'dave', id: 'tx-9' }),
  });
  const send = (headers: Record<string, string>): Promise<Response> =>
    fetch(`${base}/console/api/evaluate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  t.is((await send({ cookie })).status, 403, 'no Origin');
  t.is((await send({ cookie, origin: 'http://evil.example' })).status, 403);
  t.is((await send({ origin: base })).status, 401, 'no session');
  const held = sidecar.console!.decisions.size;
  const answer = await send({ cookie, origin: base });
  t.is(answer.status, 200);
  const result: any = await answer.json();
  t.is(result.active.revision, sidecar.manager.active!.revision);
  t.false(result.active.result.allow);
  t.deepEqual(
    result.active.result.reasons.map((r: any) => r.code),
    ['not_owner'],
  );
  t.is(result.shadow, null);
  t.is(result.same, null);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(sidecar.console!.decisions.size, held, 'a console evaluation is not a decision');

  const unknown = await fetch(`${base}/console/api/evaluate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: base },
    body: JSON.stringify({ path: 'verdict/nope', input: {} }),
  });
  t.is(((await unknown.json()) as any).active.error.code, 'entrypoint_not_found');
});

test('a foreign Host is refused (DNS rebinding); another machine gets 404', async (t) => {
  // fetch sets Host itself; node:http sends the one a rebinding page's request would carry.
  const rebound = await new Promise<IncomingMessage>((resolve, reject) => {
    const { port } = new URL(base);
    request(
      { host: '127.0.0.1', port, path: `/console/?key=${key}`, headers: { host: `evil.example:${port}` } },
      resolve,
    )
      .on('error', reject)
      .end();
  });
  rebound.resume();
  t.is(rebound.statusCode, 403);
  t.is(rebound.headers['set-cookie'], undefined);

  // A peer that is not loopback, as the server sees one on a wildcard bind.
  const written: { status?: number; body?: string } = {};
  const foreign = {
    url: `/console/?key=${key}`,
    method: 'GET',
    headers: { host: '127.0.0.1:8181' },
    socket: { remoteAddress: '192.0.2.7' },
  } as unknown as IncomingMessage;
  const response = {
    writeHead(status: number) {
      written.status = status;
      return this;
    },
    end(body: string) {
      written.body = body;
    },
  } as unknown as ServerResponse;
  t.true(await sidecar.console!.handle(foreign, response));
  t.is(written.status, 404);
  // What a sidecar without the console answers for the path (see 'CONSOLE off').
  t.deepEqual(JSON.parse(written.body ?? ''), { code: 'resource_not_found', message: '/console/ not found' });
});

test('CONSOLE off: no /console/ at all', async (t) => {
  const off = await startTestSidecar({ BUNDLE_PATH: REAL_BUNDLE });
  try {
    t.is(off.console, undefined);
    const response = await fetch(`${off.url}/console/`);
    t.is(response.status, 404);
    t.deepEqual(await response.json(), { code: 'resource_not_found', message: '/console/ not found' });
  } finally {
    await off.close();
  }
});

test('CONSOLE: on or off; on needs a TCP listener loopback clients reach', (t) => {
  const env = { BUNDLE_PATH: 'b.tar.gz' };
  t.false(loadConfig(env).console);
  t.true(loadConfig({ ...env, CONSOLE: 'on' }).console);
  t.true(loadConfig({ ...env, CONSOLE: 'on', HOST: '0.0.0.0' }).console);
  t.true(loadConfig({ ...env, CONSOLE: 'on', HOST: '::1' }).console);
  for (const [extra, message] of [
    [{ CONSOLE: 'yes' }, /CONSOLE: must be on or off/],
    [{ CONSOLE: 'on', SOCKET_PATH: '/tmp/s.sock' }, /CONSOLE: on needs a TCP listener/],
    [{ CONSOLE: 'on', HOST: '192.0.2.2' }, /CONSOLE: on serves loopback clients only/],
  ] as const) {
    const error = t.throws(() => loadConfig({ ...env, ...extra }), { instanceOf: ConfigError });
    t.regex(error.message, message);
  }
});

test('loopback addresses and hosts; the key compared in constant time', (t) => {
  for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'])
    t.true(isLoopbackAddress(address));
  for (const address of [undefined, '192.0.2.7', '::ffff:192.0.2.7', '::', '0.0.0.0', '128.0.0.1'])
    t.false(isLoopbackAddress(address), String(address));
  for (const host of ['127.0.0.1:8181', 'localhost:8181', 'LOCALHOST', '[::1]:8181', '127.0.0.2'])
    t.true(isLoopbackHost(host), host);
  for (const host of [undefined, 'evil.example', '127.0.0.1.evil.example', 'localhost.evil', '[::2]:1', ''])
    t.false(isLoopbackHost(host), String(host));
  t.true(sameSecret('abc', 'abc'));
  t.false(sameSecret('abc', 'abd'));
  t.false(sameSecret('', 'abc'));
  t.true(isConsolePath('/console'));
  t.true(isConsolePath('/console/api/status'));
  t.true(isConsolePath('/console?key=1'));
  t.false(isConsolePath('/consoles'));
  t.false(isConsolePath('/v1/data/console'));
});

test('recent decisions keep the newest `capacity` events', (t) => {
  const ring = new RecentDecisions(3);
  const event = (n: number): DecisionLogEvent => ({
    decision_id: `d${n}`,
    path: 'verdict/authz/decision',
    input: { action: 'transactions:read', subject: { claims: { sub: `u${n}` } } },
    result: { allow: n % 2 === 0, reasons: [] },
    timestamp: new Date(0).toISOString(),
    bundles: { verdict: { revision: 'r' } },
    labels: {},
    metrics: {},
  });
  for (let n = 1; n <= 5; n += 1) ring.add(event(n));
  t.is(ring.size, 3);
  t.deepEqual(
    ring.list({}, 10).decisions.map((d) => d.decision_id),
    ['d5', 'd4', 'd3'],
  );
  t.deepEqual(ring.list({ outcome: 'allow' }, 10), { matched: 1, decisions: [ring.get('d4')!] });
  t.is(ring.get('d1'), undefined);

  // A shadow disagreement: the active record with `shadow` (revision, answer, kinds), listed apart.
  const disagreeing: DecisionLogEvent & { shadow: unknown } = {
    ...event(4),
    shadow: {
      revision: 'candidate',
      result: { allow: false, reasons: [{ code: 'approval_limit_exceeded', message: '…' }] },
      kinds: ['allow_to_deny', 'reasons'],
    },
  };
  ring.add(disagreeing);
  t.is(ring.list({ shadow: false }, 10).matched, 2);
  const [disagreement] = ring.list({ shadow: true }, 10).decisions;
  t.like(disagreement, {
    decision_id: 'd4',
    outcome: 'allow',
    revision: 'r',
    shadow: {
      revision: 'candidate',
      outcome: 'deny',
      reasons: ['approval_limit_exceeded'],
      kinds: ['allow_to_deny', 'reasons'],
    },
  });
  t.is(ring.get('d4', true), disagreement);
  t.is(ring.get('d4')?.shadow, null);
});

test('the page script type-checks against the DOM (tsconfig.console.json)', async (t) => {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const { stdout } = await run(tsc, ['-p', join(ROOT, 'sidecar', 'tsconfig.console.json')]);
  t.is(stdout, '');
});

test('main prints the console URL with the key once to stderr, and the JSON log never carries it', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'sidecar', 'src', 'main.ts')], {
    env: {
      ...process.env,
      PORT: '0',
      CONSOLE: 'on',
      BUNDLE_PATH: REAL_BUNDLE,
      BUNDLE_PUBLIC_KEYS: REAL_KEYS,
      DECISION_LOG: 'stdout',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor(() => /\/console\/\?key=\S+\n/.test(stderr), 'the console URL on stderr', 30_000);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/console\/\?key=([A-Za-z0-9_-]{43}))\n/.exec(stderr);
    t.truthy(url, stderr);
    const printedKey = url![2]!;
    const login = await fetch(url![1]!, { redirect: 'manual' });
    t.is(login.status, 303);
    const origin = new URL(url![1]!).origin;
    await post(origin, '/v1/data/verdict/authz/decision', {
      input: decisionInput({ sub: 'alice', action: 'transactions:read', owner: 'alice', id: 'tx-1' }),
    });
    await waitFor(() => stdout.includes('"decision_id"'), 'a decision-log line');
    t.false(stdout.includes(printedKey), 'the key is in no log line');
    t.regex(stdout, /"msg":"sidecar listening"/);
    t.is(stderr.split(printedKey).length - 1, 1, 'printed once');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
