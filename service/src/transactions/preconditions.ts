import { PreconditionFailedError, PreconditionRequiredError } from '../errors.js';
import { etagOf } from './model.js';

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
