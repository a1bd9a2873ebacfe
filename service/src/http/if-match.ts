import type { Middleware } from 'koa';
import { PreconditionFailedError, PreconditionRequiredError } from '../errors.js';
import { etagOf } from '../transactions/model.js';

/**
 * Checks `If-Match` (RFC 9110 §13.1.1, strong comparison) against the ETag of a resource version.
 * `required`: a missing header is 428; otherwise a missing header passes.
 */
export function checkIfMatch(
  header: string,
  resource: { readonly version: number },
  required: boolean,
): void {
  if (header.trim() === '') {
    if (required) throw new PreconditionRequiredError();
    return;
  }
  if (header.trim() === '*') return;
  const current = etagOf(resource);
  const tags = header.split(',').map((tag) => tag.trim());
  if (!tags.includes(current)) throw new PreconditionFailedError();
}

/**
 * The If-Match check of a route, against the version `loaded` finds in the state (the resource
 * the `:id` loader read): 412 when stale, and with `required` 428 when missing.
 */
export function ifMatch<S>(
  required: boolean,
  loaded: (state: S) => { readonly version: number } | undefined,
): Middleware<S> {
  return async function ifMatch(ctx, next) {
    const resource = loaded(ctx.state);
    if (resource === undefined) throw new Error('ifMatch ran before the resource was loaded');
    checkIfMatch(ctx.get('If-Match'), resource, required);
    await next();
  };
}
