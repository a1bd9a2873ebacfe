import { IncomingMessage, METHODS, ServerResponse, STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** The app's request handler, as `app.callback()` returns it. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A `clientError`: Node's parser errors carry a code and the bytes that failed. */
type ParseError = Error & { code?: string; rawPacket?: unknown };

/** A request line with a method token (RFC 9110 §9.1) and an origin-form target. */
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}) (\/[\x21-\x7E]{0,8191}) HTTP\/1\.[01]\r?\n/;

/** What Node's own clientError handler answers, by error code (the rest get 400). */
const BARE_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/** Sockets answered here: the parser, past its error, may report more errors on them. */
const answering = new WeakSet<Socket>();

/** Answers one request on a socket Node has taken away from the server, then closes the socket. */
function answerOnSocket(handle: RequestHandler, req: IncomingMessage, socket: Socket): boolean {
  const res = new ServerResponse(req);
  try {
    res.assignSocket(socket);
  } catch {
    return false; // another response is in flight on this socket (pipelining)
  }
  answering.add(socket);
  res.shouldKeepAlive = false;
  res.on('finish', () => {
    res.detachSocket(socket);
    socket.destroySoon();
  });
  void handle(req, res);
  return true;
}

/** The request Node's parser refused for its method, rebuilt from the request line only. */
function requestOf(error: ParseError, socket: Socket): IncomingMessage | undefined {
  const raw = Buffer.isBuffer(error.rawPacket) ? error.rawPacket.toString('latin1') : '';
  const line = REQUEST_LINE.exec(raw);
  const [, method, target] = line ?? [];
  // A known method in another case (`get`) stays Node's 400: the router would take it for GET.
  if (method === undefined || target === undefined || METHODS.includes(method.toUpperCase()))
    return undefined;
  const req = new IncomingMessage(socket);
  req.method = method;
  req.url = target;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.complete = true;
  req.push(null);
  return req;
}

/** Node's default answer to a request it cannot parse: a bare status line, then the socket closes. */
function answerBare(error: ParseError, socket: Socket): void {
  // Node's own handler checks the same private field: never write into a response already sent.
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const status = BARE_STATUS[error.code ?? ''] ?? 400;
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy();
}

/**
 * Node's HTTP server never passes two kinds of request to the app: CONNECT (a `connect` event,
 * whose socket it then drops) and a method its parser does not know, like `FOO` (a bare 400).
 * This hands both to the app, so they get its answer: 405 method_not_allowed with the path's
 * Allow, or 404 for a path it does not have. Any other unparsable request is answered as Node does.
 */
export function answerUnknownMethods(server: Server, handle: RequestHandler): void {
  server.on('connect', function answerConnect(req: IncomingMessage, socket: Socket) {
    if (!answerOnSocket(handle, req, socket)) socket.destroy();
  });
  server.on('clientError', function answerClientError(error: ParseError, socket: Socket) {
    if (answering.has(socket)) return;
    const req = error.code === 'HPE_INVALID_METHOD' ? requestOf(error, socket) : undefined;
    if (req === undefined || !answerOnSocket(handle, req, socket)) answerBare(error, socket);
  });
}
