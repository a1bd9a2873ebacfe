import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { RequestState } from './state.js';

/** A client-supplied request id is kept only when it is short and plain. */
const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a well-formed `X-Request-Id`, else generates one, and echoes it on the response. */
export const requestId: Middleware<RequestState> = async function requestId(ctx, next) {
  const given = ctx.get('X-Request-Id');
  ctx.state.requestId = WELL_FORMED.test(given) ? given : randomUUID();
  ctx.set('X-Request-Id', ctx.state.requestId);
  await next();
};
