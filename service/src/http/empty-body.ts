import type { Middleware } from 'koa';
import type { RequestState } from './state.js';
import { validator } from './validator.js';

const validateEmptyBody = validator('body', {
  type: 'object',
  additionalProperties: false,
  maxProperties: 0,
});

/** For actions that take no body (approve, freeze, …): none, or `{}`; anything else is a 400. */
export const requireNoBody: Middleware<RequestState> = async function requireNoBody(ctx, next) {
  if (ctx.state.body !== undefined) validateEmptyBody(ctx.state.body);
  await next();
};
