/**
 * The gateway alone — real nginx and njs over TLS, rendered from compose/gateway/nginx.conf.template
 * exactly as the local stack renders it — between a fake introspection endpoint (so every answer an
 * authorization server could give, malformed ones included, can be played) and an upstream that
 * echoes what reached it. The journeys through the real authorization server and service are in
 * journeys.test.ts. Serial: the fakes count calls, and the last tests stop them.
 */
import test from 'ava';
import { type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGatewayCertificates } from '../stack/certificates.mjs';
import { startNginx } from '../stack/gateway.mjs';
import {
  API_AUDIENCE,
  DEFAULT_PORTS,
  gatewayRequest,
  gatewayValues,
  type GatewayAnswer,
  type GatewayRequest,
} from '../stack/local-stack.mjs';
import { EchoService, FakeAuthorizationServer, fakeJwt, freePort, type Echoed } from './support/fakes.js';

const SECRET = 'gateway-secret-for-tests';
const dir = mkdtempSync(join(tmpdir(), 'verdict-gateway-'));
const as = new FakeAuthorizationServer();
const upstream = new EchoService();
let nginx: ChildProcess;
let nginxOutput = '';
let port = 0;
let ca = '';
const sent = new Set<string>();

function call(path: string, init: GatewayRequest = {}): Promise<GatewayAnswer> {
  return gatewayRequest({ port, ca, path, ...init });
}

/** A request with this opaque token (remembered, so the logs can be searched for it). */
function withToken(token: string, path = '/transactions', init: GatewayRequest = {}): Promise<GatewayAnswer> {
  sent.add(token);
  return call(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
}

function activeJwt(claims: Record<string, unknown> = {}): string {
  const jwt = fakeJwt({
    iss: 'http://as.test',
    aud: API_AUDIENCE,
    sub: 'alice',
    client_id: 'web-app',
    exp: Math.floor(Date.now() / 1000) + 300,
    ...claims,
  });
  sent.add(jwt);
  return jwt;
}

function answerJwt(token: string, jwt: string): void {
  as.answers.set(token, { status: 200, type: 'application/jwt', body: jwt });
}

function problem(answer: GatewayAnswer): { code: string; status: number; type: string; request_id: string } {
  return JSON.parse(answer.body);
}

test.before(async () => {
  await as.start();
  await upstream.start();
  port = await freePort();
  const certificates = ensureGatewayCertificates(join(dir, 'gateway'));
  ca = readFileSync(certificates.ca, 'utf8');
  mkdirSync(join(dir, 'auth-server'));
  writeFileSync(join(dir, 'auth-server', 'gateway-client-secret'), `${SECRET}\n`, { mode: 0o600 });
  mkdirSync(join(dir, 'gateway', 'logs'), { recursive: true });
  const values = gatewayValues({
    ports: { ...DEFAULT_PORTS, gateway: port, service: upstream.port, authServer: as.port },
    host: '127.0.0.1',
    dataDir: dir,
    certificates,
    introspection: `http://127.0.0.1:${as.port}/token/introspection`,
    rateLimit: { rate: '20r/s', burst: 80 },
    workers: 1,
  });
  nginx = startNginx({ runDir: join(dir, 'gateway', 'run'), values, stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stderr?.on('data', (chunk: Buffer) => (nginxOutput += chunk.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxOutput}`);
    try {
      if ((await call('/health')).status === 200) break;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer: ${nginxOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
});

test.after.always(async () => {
  nginx.kill('SIGTERM');
  await Promise.allSettled([as.stop(), upstream.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test.serial(
  'an active opaque token: the upstream gets its JWT, a request id and the client, never the opaque token',
  async (t) => {
    const jwt = activeJwt();
    answerJwt('opaque-active-1', jwt);
    const answer = await withToken('opaque-active-1', '/transactions?account_id=acct-alice-1');
    t.is(answer.status, 200, answer.body);
    const echoed = JSON.parse(answer.body) as Echoed;
    t.is(echoed.url, '/transactions?account_id=acct-alice-1');
    t.is(echoed.headers.authorization, `Bearer ${jwt}`);
    t.is(echoed.headers['x-forwarded-for'], '127.0.0.1');
    t.is(echoed.headers['x-forwarded-proto'], 'https');
    t.regex(String(echoed.headers['x-request-id']), /^[0-9a-f]{32}$/);
    t.is(
      answer.headers['x-request-id'],
      echoed.headers['x-request-id'],
      'the id the upstream logs is the one answered',
    );
    t.false(
      echoed.rawHeaders.join('\n').includes('opaque-active-1'),
      'the opaque token stays at the gateway',
    );
    t.false(echoed.rawHeaders.some((name) => name.toLowerCase().startsWith('x-phantom')));

    const [exchange] = as.calls.filter((c) => c.token === 'opaque-active-1');
    t.is(exchange?.headers.accept, 'application/jwt');
    t.is(exchange?.headers['content-type'], 'application/x-www-form-urlencoded');
    t.is(exchange?.headers.authorization, `Basic ${Buffer.from(`api-gateway:${SECRET}`).toString('base64')}`);
    t.is(exchange?.headers['x-request-id'], echoed.headers['x-request-id']);
  },
);

test.serial("a client's well-formed X-Request-Id is kept end to end, a malformed one replaced", async (t) => {
  answerJwt('opaque-request-id', activeJwt());
  const kept = await withToken('opaque-request-id', '/x', { headers: { 'x-request-id': 'client-id-1.2' } });
  t.is((JSON.parse(kept.body) as Echoed).headers['x-request-id'], 'client-id-1.2');
  t.is(kept.headers['x-request-id'], 'client-id-1.2');
  const replaced = await withToken('opaque-request-id', '/x', { headers: { 'x-request-id': 'bad id"' } });
  t.regex(String((JSON.parse(replaced.body) as Echoed).headers['x-request-id']), /^[0-9a-f]{32}$/);
});

test.serial(
  "the JWT is cached by the token's SHA-256: the same token is introspected once, and the cache never holds the token",
  async (t) => {
    answerJwt('opaque-cached', activeJwt());
    for (let i = 0; i < 3; i++) t.is((await withToken('opaque-cached')).status, 200);
    t.is(as.callsFor('opaque-cached'), 1);
    const cache = join(dir, 'gateway', 'run', 'phantom-cache');
    const files = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((entry) =>
      entry.isFile(),
    );
    const contents = files
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'latin1'))
      .join('\n');
    t.true(
      contents.includes(createHash('sha256').update('opaque-cached').digest('hex')),
      'keyed by the SHA-256',
    );
    t.false(contents.includes('opaque-cached'), 'the opaque token is never stored');
  },
);

test.serial(
  'a cached JWT is used no longer than its exp: then the token is introspected again',
  async (t) => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    answerJwt('opaque-short', activeJwt({ exp }));
    t.is((await withToken('opaque-short')).status, 200);
    t.is((await withToken('opaque-short')).status, 200);
    t.is(as.callsFor('opaque-short'), 1);
    as.answers.delete('opaque-short'); // from now on the server says inactive (revoked or expired)
    await new Promise((resolve) => setTimeout(resolve, (exp + 1) * 1000 - Date.now()));
    const after = await withToken('opaque-short');
    t.is(after.status, 401);
    t.is(problem(after).code, 'invalid_token');
    t.is(as.callsFor('opaque-short'), 2);
  },
);

test.serial(
  'an inactive token → 401 invalid_token with a challenge naming the resource metadata; never cached',
  async (t) => {
    const before = upstream.requests;
    for (let i = 0; i < 2; i++) {
      const answer = await withToken('opaque-unknown');
      t.is(answer.status, 401);
      t.is(answer.headers['content-type'], 'application/problem+json');
      t.is(
        answer.headers['www-authenticate'],
        'Bearer realm="verdict", error="invalid_token", error_description="the access token is not active: unknown, expired or revoked", ' +
          `resource_metadata="https://api.demo.example:${port}/.well-known/oauth-protected-resource"`,
      );
      t.like(problem(answer), {
        type: 'urn:verdict:problem:invalid_token',
        status: 401,
        code: 'invalid_token',
        request_id: answer.headers['x-request-id'],
      });
    }
    t.is(as.callsFor('opaque-unknown'), 2);
    t.is(upstream.requests, before, 'nothing reached the upstream');
  },
);

test.serial(
  'no token → 401 with a bare challenge (RFC 6750 §3.1) naming the metadata; the server is not asked',
  async (t) => {
    const calls = as.calls.length;
    const headerSets: Record<string, string>[] = [{}, { authorization: 'Basic YWxpY2U6dmVyZGljdA==' }];
    for (const headers of headerSets) {
      const answer = await call('/transactions', { headers });
      t.is(answer.status, 401);
      t.is(
        answer.headers['www-authenticate'],
        `Bearer realm="verdict", resource_metadata="https://api.demo.example:${port}/.well-known/oauth-protected-resource"`,
      );
      t.is(problem(answer).code, 'invalid_token');
    }
    t.is(as.calls.length, calls);
  },
);

test.serial('a JWT sent by a client → 401 invalid_token, never introspected nor forwarded', async (t) => {
  const before = upstream.requests;
  const calls = as.calls.length;
  const answer = await withToken(activeJwt());
  t.is(answer.status, 401);
  t.is(problem(answer).code, 'invalid_token');
  t.regex(
    String(answer.headers['www-authenticate']),
    /error="invalid_token", error_description="send the opaque access token/,
  );
  t.is(as.calls.length, calls);
  t.is(upstream.requests, before);
});

test.serial('malformed credentials → 400 invalid_request, as the service answers them', async (t) => {
  const cases: [string, GatewayRequest, string][] = [
    ['/transactions?access_token=opaque-q', {}, 'never in the query string'],
    [
      '/transactions?a=1&access_token=opaque-q',
      { headers: { authorization: 'Bearer opaque-q' } },
      'in one place only',
    ],
    ['/transactions', { headers: { authorization: 'Bearer' } }, 'needs a token'],
    ['/transactions', { headers: { authorization: 'Bearer opaque-a opaque-b' } }, 'exactly one bearer token'],
    ['/transactions', { headers: { authorization: 'Bearer opaque"x' } }, 'does not allow'],
  ];
  sent.add('opaque-q');
  for (const [path, init, detail] of cases) {
    const answer = await call(path, init);
    t.is(answer.status, 400, path);
    t.is(problem(answer).code, 'invalid_request');
    t.true(answer.body.includes(detail), answer.body);
    t.regex(String(answer.headers['www-authenticate']), /^Bearer realm="verdict", error="invalid_request"/);
  }
  const twice = await call('/transactions', {
    headers: { authorization: ['Bearer opaque-a', 'Bearer opaque-b'] },
  });
  t.is(twice.status, 400);
  t.is(problem(twice).code, 'invalid_request');
  t.is(as.callsFor('opaque-q') + as.callsFor('opaque-a'), 0);
});

test.serial(
  'an authorization server answering 5xx → 503 authorization_server_unavailable, nothing forwarded',
  async (t) => {
    const before = upstream.requests;
    as.answers.set('opaque-5xx', { status: 500, type: 'text/plain', body: 'boom' });
    const answer = await withToken('opaque-5xx');
    t.is(answer.status, 503);
    t.is(answer.headers['retry-after'], '5');
    t.like(problem(answer), { code: 'authorization_server_unavailable', status: 503 });
    t.is(upstream.requests, before);
  },
);

const MALFORMED: [string, { status: number; type?: string; body: string }][] = [
  ['an HTML page', { status: 200, type: 'text/html', body: '<html></html>' }],
  [
    'RFC 7662 JSON instead of a JWT',
    { status: 200, type: 'application/json', body: '{"active":true,"sub":"alice"}' },
  ],
  ['JSON that does not parse', { status: 200, type: 'application/json', body: '{"active":' }],
  ['application/jwt that is no JWT', { status: 200, type: 'application/jwt', body: 'not-a-jwt' }],
  [
    'a JWT of typ JWT',
    {
      status: 200,
      type: 'application/jwt',
      body: fakeJwt({ aud: API_AUDIENCE, exp: 4e9 }, { alg: 'ES256', typ: 'JWT' }),
    },
  ],
  [
    'a JWT for another audience',
    { status: 200, type: 'application/jwt', body: fakeJwt({ aud: 'another-api', exp: 4e9 }) },
  ],
  ['a JWT without exp', { status: 200, type: 'application/jwt', body: fakeJwt({ aud: API_AUDIENCE }) }],
  [
    '401 (the gateway client is refused)',
    { status: 401, type: 'application/json', body: '{"error":"invalid_client"}' },
  ],
  ['400', { status: 400, type: 'application/json', body: '{"error":"invalid_request"}' }],
];

test.serial(
  'an answer the gateway cannot use → 502 authorization_server_error, never a pass-through',
  async (t) => {
    const before = upstream.requests;
    for (const [index, [what, answer]] of MALFORMED.entries()) {
      as.answers.set(`opaque-malformed-${index}`, answer);
      const reply = await withToken(`opaque-malformed-${index}`);
      t.is(reply.status, 502, what);
      t.like(problem(reply), { code: 'authorization_server_error', status: 502 }, what);
    }
    t.is(upstream.requests, before);
  },
);

test.serial('a JWT whose exp has passed → 401 invalid_token', async (t) => {
  answerJwt('opaque-expired', activeJwt({ exp: Math.floor(Date.now() / 1000) - 5 }));
  const answer = await withToken('opaque-expired');
  t.is(answer.status, 401);
  t.is(problem(answer).code, 'invalid_token');
});

test.serial(
  'the metadata document and the API description are public: no token, none forwarded',
  async (t) => {
    for (const path of ['/.well-known/oauth-protected-resource', '/openapi.json']) {
      const answer = await call(path, { headers: { authorization: 'Bearer opaque-public' } });
      t.is(answer.status, 200, path);
      const echoed = JSON.parse(answer.body) as Echoed;
      t.is(echoed.url, path);
      t.is(echoed.headers.authorization, undefined);
    }
    t.is(as.callsFor('opaque-public'), 0);
    sent.add('opaque-public');
  },
);

test.serial("the security headers on the gateway's own answers and on proxied ones, each once", async (t) => {
  answerJwt('opaque-headers', activeJwt());
  const answers = [await call('/health'), await call('/transactions'), await withToken('opaque-headers')];
  t.deepEqual(
    answers.map((answer) => answer.status),
    [200, 401, 200],
  );
  for (const answer of answers) {
    t.like(answer.headers, {
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-resource-policy': 'same-origin',
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
    });
    t.regex(String(answer.headers['x-request-id']), /^[0-9a-f]{32}$/, 'one id, the gateway’s');
    t.is(answer.headers.server, 'nginx', 'no version');
  }
});

test.serial(
  'rate limits per client address → 429 rate_limited with Retry-After; other addresses go on',
  async (t) => {
    const burst = await Promise.all(
      Array.from({ length: 160 }, () => call('/transactions', { localAddress: '127.0.0.3' })),
    );
    const limited = burst.filter((answer) => answer.status === 429);
    t.true(limited.length >= 40, `${limited.length} of 160 limited`);
    t.true(burst.every((answer) => answer.status === 429 || answer.status === 401));
    t.like(problem(limited[0]!), { code: 'rate_limited', status: 429 });
    t.is(limited[0]!.headers['retry-after'], '1');
    t.is((await call('/transactions')).status, 401, 'another address is not limited');
  },
);

test.serial('TLS 1.2 and 1.3 only: the gateway refuses a TLS 1.1 handshake', async (t) => {
  const { connect } = await import('node:tls');
  const handshake = (version: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') =>
    new Promise<string>((resolve) => {
      // Security level 0, so this client offers TLS 1.1 and it is the server that refuses.
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'api.demo.example',
        ca,
        minVersion: version,
        maxVersion: version,
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      socket.once('secureConnect', () => {
        resolve(socket.getProtocol() ?? '');
        socket.end();
      });
      socket.once('error', (error) => resolve(`refused: ${error.message}`));
    });
  t.is(await handshake('TLSv1.3'), 'TLSv1.3');
  t.is(await handshake('TLSv1.2'), 'TLSv1.2');
  t.regex(await handshake('TLSv1.1'), /^refused: .*alert protocol version/);
});

test.serial('the API unreachable → 503 service_unavailable', async (t) => {
  answerJwt('opaque-upstream-down', activeJwt());
  await upstream.stop();
  const answer = await withToken('opaque-upstream-down');
  t.is(answer.status, 503);
  t.like(problem(answer), { code: 'service_unavailable', status: 503 });
});

test.serial('the authorization server unreachable → 503 authorization_server_unavailable', async (t) => {
  await as.stop();
  const answer = await withToken('opaque-as-down');
  t.is(answer.status, 503);
  t.like(problem(answer), { code: 'authorization_server_unavailable', status: 503 });
});

test.serial('the access and error logs hold no token, no JWT, no query string', (t) => {
  const access = readFileSync(join(dir, 'gateway', 'logs', 'access.log'), 'utf8');
  const errors = readFileSync(join(dir, 'gateway', 'logs', 'error.log'), 'utf8') + nginxOutput;
  const lines = access.trim().split('\n');
  t.true(lines.length > 160);
  for (const line of lines) {
    const entry = JSON.parse(line) as { path: string; request_id: string };
    t.false(entry.path.includes('?'));
  }
  for (const secret of [...sent, SECRET]) {
    t.false(access.includes(secret), `access log holds ${secret.slice(0, 12)}…`);
    t.false(errors.includes(secret), `error log holds ${secret.slice(0, 12)}…`);
  }
  t.false(access.includes('access_token'));
});
