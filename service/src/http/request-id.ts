import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { RequestState } from './state.js';

/** A client-supplied request id is kept only when it is short and plain. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Accepts a well-formed `X-Request-Id`, else generates one, and echoes it on the response. Nothing
 * runs after `next`, so it hands on `next`'s promise instead of awaiting it (no promise of its own).
 */
export const requestId: Middleware<RequestState> = function requestId(ctx, next) {
  const given = ctx.get('X-Request-Id');
  const id = WELL_FORMED.test(given) ? given : randomUUID();
  ctx.state.requestId = id;
  // Nothing has been sent yet: the raw response, without Koa's per-call entry arrays.
  ctx.res.setHeader('X-Request-Id', id);
  return next();
};
