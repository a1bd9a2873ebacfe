import test from 'ava';
import { connect } from 'node:net';
import { Harness, sample } from '../support/harness.js';

const h = await Harness.start();
test.after.always(() => h.stop());

const ID = '6f1c1e0e-3b0a-4d7e-9a51-2f1f5d0c9a11';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: { code?: string } | undefined;
  /** Whether the server closed the connection after answering. */
  readonly closed: boolean;
}

/**
 * Sends bytes as they are on a fresh connection and reads the one answer; `untilClosed` waits for
 * the server to close the connection (up to 2 s) instead of stopping at the end of the body.
 */
function raw(request: string, untilClosed = false): Promise<RawResponse> {
  const { port } = new URL(h.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let text = '';
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const payload = rest.join('\r\n\r\n');
      const json = headers['transfer-encoding'] === 'chunked' ? payload.split('\r\n')[1] : payload;
      let body: { code?: string } | undefined;
      try {
        body = json === undefined || json === '' ? undefined : (JSON.parse(json) as { code?: string });
      } catch {
        body = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, closed });
    };
    const timer = setTimeout(() => finish(false), 2000);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
      const start = text.indexOf('\r\n\r\n');
      const complete = length !== undefined && start !== -1 && text.length - start - 4 >= Number(length);
      if (complete && !untilClosed) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('error', reject);
  });
}

const allowed = (res: RawResponse): string[] =>
  (res.headers.allow ?? '').split(/,\s*/).filter(Boolean).sort();

const KNOWN_PATHS: readonly (readonly [string, readonly string[]])[] = [
  ['/transactions', ['GET', 'HEAD', 'POST']],
  [`/transactions/${ID}`, ['DELETE', 'GET', 'HEAD', 'PATCH']],
  [`/transactions/${ID}/approve`, ['POST']],
  ['/audit', ['GET', 'HEAD']],
  ['/health/live', ['GET', 'HEAD']],
];

// TRACE and PROPFIND the router does not implement; CONNECT and FOO Node's server never hands to
// the app on its own (a dropped socket, a bare 400): every one is a 405 with the path's methods.
for (const method of ['TRACE', 'PROPFIND', 'CONNECT', 'FOO']) {
  test(`${method} on a known path → 405 method_not_allowed with the path's Allow, never 5xx`, async (t) => {
    for (const [path, methods] of KNOWN_PATHS) {
      const res = await raw(`${method} ${path} HTTP/1.1\r\nHost: verdict.test\r\n\r\n`);
      t.is(res.status, 405, `${method} ${path}`);
      t.is(res.body?.code, 'method_not_allowed', `${method} ${path}`);
      t.deepEqual(allowed(res), [...methods], `${method} ${path}`);
      t.is(res.headers['content-type'], 'application/problem+json');
      t.is(res.headers['x-content-type-options'], 'nosniff', 'answered by the app, security headers and all');
    }
  });

  test(`${method} on an unknown path → 404 not_found without Allow`, async (t) => {
    const res = await raw(`${method} /nowhere HTTP/1.1\r\nHost: verdict.test\r\n\r\n`);
    t.is(res.status, 404);
    t.is(res.body?.code, 'not_found');
    t.is(res.headers.allow, undefined);
  });
}

test('CONNECT to an authority (a proxy request) → 404 not_found, and the connection closes', async (t) => {
  const res = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', true);
  t.is(res.status, 404);
  t.is(res.body?.code, 'not_found');
  t.true(res.closed);
});

test('a made-up method with a body is answered 405 and the connection closes, the body unread', async (t) => {
  const res = await raw(
    'FOO /transactions HTTP/1.1\r\nHost: verdict.test\r\nContent-Length: 5\r\n\r\nhello',
    true,
  );
  t.is(res.status, 405);
  t.is(res.body?.code, 'method_not_allowed');
  t.is(res.headers.connection, 'close');
  t.true(res.closed);
});

test('made-up methods count as method="OTHER" in the request metric, so its labels stay bounded', async (t) => {
  await raw('FOOBAR /health/live HTTP/1.1\r\nHost: verdict.test\r\n\r\n');
  const text = await h.metrics.registry.metrics();
  t.true((sample(text, 'verdict_http_request_duration_seconds_count', { method: 'OTHER' }) ?? 0) >= 1);
  t.false(text.includes('method="FOOBAR"'));
});

// What Node answers itself stays as it was: a request the parser cannot read is never a 5xx.
test("a known method in lower case, or a malformed header, is still Node's bare 400", async (t) => {
  for (const request of [
    'get /health/live HTTP/1.1\r\nHost: verdict.test\r\n\r\n',
    'GET /health/live HTTP/1.1\r\nHost verdict.test\r\n\r\n',
  ]) {
    const res = await raw(request, true);
    t.is(res.status, 400, JSON.stringify(request));
    t.is(res.body, undefined, 'no problem body: the app never saw it');
    t.true(res.closed);
  }
});

test("headers over the limit are still Node's 431", async (t) => {
  const res = await raw(
    `GET /health/live HTTP/1.1\r\nHost: verdict.test\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  t.is(res.status, 431);
  t.is(res.body, undefined);
});
