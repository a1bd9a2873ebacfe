import type { Middleware } from 'koa';
import { InvalidRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors.js';
import type { RequestState } from './state.js';

/** The largest body the API reads. */
export const BODY_LIMIT_BYTES = 16 * 1024;

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json$/;

function declaredLength(value: string | undefined): number | undefined {
  return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
}

/** Refuses a declared Content-Length over the limit before anything else reads the request. */
export const bodyLimit: Middleware = function bodyLimit(ctx, next) {
  const length = declaredLength(ctx.get('Content-Length') || undefined);
  // Thrown synchronously, koa-compose rejects with it like an async middleware would.
  if (length !== undefined && length > BODY_LIMIT_BYTES) throw new PayloadTooLargeError(BODY_LIMIT_BYTES);
  return next();
};

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function readLimited(stream: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a JSON body of at most 16 KiB into `ctx.state.body` (undefined when it is empty).
 * Another media type → 415, malformed JSON → 400 invalid_request, too large → 413.
 */
export const jsonBody: Middleware<RequestState> = async function jsonBody(ctx, next) {
  if (!hasBody(ctx.req.headers)) {
    ctx.state.body = undefined;
    await next();
    return;
  }
  const raw = await readLimited(ctx.req, BODY_LIMIT_BYTES);
  if (raw.length === 0) {
    ctx.state.body = undefined;
    await next();
    return;
  }
  const type = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
  if (!JSON_TYPE.test(type)) throw new UnsupportedMediaTypeError();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new InvalidRequestError('the body is not valid UTF-8');
  }
  if (text.trim() === '') {
    ctx.state.body = undefined;
  } else {
    try {
      ctx.state.body = JSON.parse(text);
    } catch {
      throw new InvalidRequestError('the body is not valid JSON');
    }
  }
  await next();
};
