import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free loopback port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A free loopback port (bound once, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned stand-in of an RFC 9068 JWT (the gateway does not verify signatures; the service does). */
export function fakeJwt(
  payload: Readonly<Record<string, unknown>>,
  header: Readonly<Record<string, unknown>> = { alg: 'ES256', typ: 'at+jwt' },
): string {
  return `${b64url(header)}.${b64url(payload)}.${Buffer.from('signature').toString('base64url')}`;
}

/** What the fake authorization server answers for one opaque token. */
export interface Answer {
  readonly status: number;
  readonly type?: string;
  readonly body: string;
}

/** One introspection request the fake received. */
export interface Introspection {
  readonly token: string | null;
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

/** A fake introspection endpoint: answers per token from `answers`, `{"active":false}` otherwise. */
export class FakeAuthorizationServer {
  readonly calls: Introspection[] = [];
  readonly answers = new Map<string, Answer>();
  readonly #server: Server;
  port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const token = form.get('token');
        this.calls.push({ token, headers: req.headers, form });
        const answer = this.answers.get(token ?? '') ?? {
          status: 200,
          type: 'application/json',
          body: '{"active":false}',
        };
        res.writeHead(answer.status, answer.type === undefined ? {} : { 'Content-Type': answer.type });
        res.end(answer.body);
      });
    });
  }

  async start(): Promise<this> {
    this.port = await listen(this.#server);
    return this;
  }

  callsFor(token: string): number {
    return this.calls.filter((call) => call.token === token).length;
  }

  stop(): Promise<void> {
    return close(this.#server);
  }
}

/** The request an echo upstream received. */
export interface Echoed {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
}

/** An upstream that answers every request with what it received, as JSON. */
export class EchoService {
  readonly #server: Server;
  port = 0;
  /** How many requests reached it. */
  requests = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      this.requests += 1;
      const echoed: Echoed = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
      };
      // The service's own security headers and request id, which the gateway sends once.
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'X-Request-Id': 'from-the-upstream',
      });
      res.end(JSON.stringify(echoed));
    });
  }

  async start(): Promise<this> {
    this.port = await listen(this.#server);
    return this;
  }

  stop(): Promise<void> {
    return close(this.#server);
  }
}
