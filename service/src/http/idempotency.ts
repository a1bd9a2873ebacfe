import type { Context } from 'koa';
import { createHash } from 'node:crypto';
import type { AccessTokenClaims } from '../auth/claims.js';
import { canonicalJson } from '../canonical-json.js';
import { IdempotencyConflictError } from '../errors.js';
import type { IdempotencyKey, StoredResponse } from '../store/idempotency-store.js';
import type { CreateOutcome } from '../store/transaction-store.js';
import { idempotencyKeySchema } from '../transactions/schemas.js';
import { validator } from './validator.js';

const validateKey = validator('headers.Idempotency-Key', idempotencyKeySchema);

/**
 * The request's `Idempotency-Key`, scoped to its caller and fingerprinted by its body; undefined
 * when the header is absent. A header that is present must match its pattern, empty included.
 */
export function idempotencyKeyOf(
  ctx: Context,
  claims: AccessTokenClaims,
  body: unknown,
): IdempotencyKey | undefined {
  const header = ctx.headers['idempotency-key'];
  if (header === undefined) return undefined;
  return {
    scope: `${claims.client_id}\u0000${claims.sub}`,
    key: validateKey(Array.isArray(header) ? header.join(', ') : header),
    fingerprint: createHash('sha256').update(canonicalJson(body)).digest('base64url'),
  };
}

/**
 * Answers a create: the new row's response, or the stored first response on a replay (with its
 * `ETag` and `Idempotent-Replayed`); the same key with another body is a 409.
 */
export function sendCreated<T>(
  ctx: Context,
  outcome: Exclude<CreateOutcome<T>, { kind: 'account_not_open' }>,
  respond: (created: T) => Omit<StoredResponse, 'fingerprint'>,
  idempotency: IdempotencyKey | undefined,
): void {
  if (outcome.kind === 'replay' && outcome.response.fingerprint !== idempotency?.fingerprint)
    throw new IdempotencyConflictError();
  const response = outcome.kind === 'replay' ? outcome.response : respond(outcome.created);
  if (outcome.kind === 'replay') ctx.set('Idempotent-Replayed', 'true');
  ctx.status = response.status;
  ctx.set('Location', response.location);
  ctx.set('ETag', response.etag);
  ctx.body = response.body;
}
