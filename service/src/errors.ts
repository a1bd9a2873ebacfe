/** Stable problem codes of the API (ARCHITECTURE.md, Contracts). */
export type ProblemCode =
  | 'invalid_request'
  | 'validation_failed'
  | 'invalid_token'
  | 'insufficient_user_authentication'
  | 'forbidden'
  | 'insufficient_scope'
  | 'policy_no_decision'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_ready'
  | 'precondition_failed'
  | 'precondition_required'
  | 'idempotency_conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal_error'
  | 'authorization_unavailable'
  | 'authorization_server_unavailable';

/** One failing field of a request, as listed in a `validation_failed` problem. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

interface ApiErrorOptions {
  readonly detail?: string;
  readonly cause?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * Base of every error the API answers with. `detail` is shown to the client, so it must be safe
 * text; `cause` goes to the log only.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly title: string;
  readonly detail: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Whether the detail may be shown to the client (false only for internal errors). */
  readonly expose: boolean = true;

  constructor(status: number, code: ProblemCode, title: string, options: ApiErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }
}

/** The realm every Bearer challenge names. */
export const REALM = 'verdict';

/** Auth-param values keep to the characters RFC 6750 §3 allows (no quote, no backslash). */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, '')}"`;
}

/** A `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3) with the given auth-params. */
export function bearerChallenge(params: Readonly<Record<string, string | number>> = {}): string {
  const parts = [`realm=${quoted(REALM)}`];
  for (const [name, value] of Object.entries(params)) {
    parts.push(`${name}=${typeof value === 'number' ? String(value) : quoted(value)}`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/** No credentials, or credentials of another scheme: a bare challenge, no error code (RFC 6750 §3.1). */
export class MissingCredentialsError extends ApiError {
  constructor() {
    super(401, 'invalid_token', 'Authentication required', {
      detail: 'send an OAuth access token in the Authorization header: "Bearer <token>"',
      headers: { 'WWW-Authenticate': bearerChallenge() },
    });
  }
}

/** A malformed Authorization header or a token sent another way (RFC 6750 invalid_request). */
export class InvalidAuthorizationRequestError extends ApiError {
  constructor(detail: string) {
    super(400, 'invalid_request', 'Invalid request', {
      detail,
      headers: {
        'WWW-Authenticate': bearerChallenge({ error: 'invalid_request', error_description: detail }),
      },
    });
  }
}

/** The access token is malformed, expired, revoked or otherwise not acceptable. */
export class InvalidTokenError extends ApiError {
  /** A bounded reason for metrics: expired, signature, algorithm, claims, malformed, unknown_key, … */
  readonly reason: string;

  constructor(detail: string, reason = 'invalid', cause?: unknown) {
    super(401, 'invalid_token', 'Invalid access token', {
      detail,
      cause,
      headers: { 'WWW-Authenticate': bearerChallenge({ error: 'invalid_token', error_description: detail }) },
    });
    this.reason = reason;
  }
}

/** The authorization server's key set cannot be had, so no token can be checked. */
export class AuthorizationServerUnavailableError extends ApiError {
  constructor(cause?: unknown) {
    super(503, 'authorization_server_unavailable', 'Authorization server unavailable', {
      detail: 'the signing keys of the authorization server cannot be fetched; try again shortly',
      cause,
      headers: { 'Retry-After': '5' },
    });
  }
}

/** The caller must authenticate again with a stronger method or more recently (RFC 9470). */
export class StepUpRequiredError extends ApiError {
  constructor(acrValues: string, maxAge: number | undefined, reasons: readonly string[]) {
    const detail = 'this action needs a stronger or more recent user authentication';
    const params: Record<string, string | number> = {
      error: 'insufficient_user_authentication',
      error_description: detail,
      acr_values: acrValues,
    };
    if (maxAge !== undefined) params.max_age = maxAge;
    super(401, 'insufficient_user_authentication', 'Step-up authentication required', {
      detail,
      headers: { 'WWW-Authenticate': bearerChallenge(params) },
      extensions: { reasons, acr_values: acrValues, ...(maxAge === undefined ? {} : { max_age: maxAge }) },
    });
  }
}

/** The token lacks a scope the action needs (RFC 6750 insufficient_scope). */
export class InsufficientScopeError extends ApiError {
  constructor(scope: string) {
    const detail = `this action needs the scope "${scope}"`;
    super(403, 'insufficient_scope', 'Insufficient scope', {
      detail,
      headers: {
        'WWW-Authenticate': bearerChallenge({
          error: 'insufficient_scope',
          error_description: detail,
          scope,
        }),
      },
      extensions: { scope },
    });
  }
}

/** The policy denied the action; `reasons` are the policy's reason codes. */
export class ForbiddenError extends ApiError {
  constructor(reasons: readonly string[]) {
    super(403, 'forbidden', 'Forbidden', {
      detail: 'the policy does not allow this action',
      extensions: { reasons },
    });
  }
}

/** The policy gave no usable decision; treated as a deny. */
export class PolicyNoDecisionError extends ApiError {
  constructor(cause?: unknown) {
    super(403, 'policy_no_decision', 'No policy decision', {
      detail: 'the policy gave no decision for this request, so it is denied',
      cause,
    });
  }
}

/** The policy decision point cannot answer; never treated as an allow. */
export class AuthorizationUnavailableError extends ApiError {
  constructor(cause?: unknown) {
    super(503, 'authorization_unavailable', 'Authorization unavailable', {
      detail: 'the policy decision point cannot be reached; try again shortly',
      cause,
      headers: { 'Retry-After': '1' },
    });
  }
}

/** The resource does not exist, or the caller may not know that it does. */
export class NotFoundError extends ApiError {
  constructor(detail = 'no such resource') {
    super(404, 'not_found', 'Not found', { detail });
  }
}

/** The request is malformed in a way that is not a schema failure (bad JSON, bad header). */
export class InvalidRequestError extends ApiError {
  constructor(detail: string) {
    super(400, 'invalid_request', 'Invalid request', { detail });
  }
}

/** The body, query or headers fail their JSON Schema; `errors` lists the fields. */
export class ValidationError extends ApiError {
  constructor(errors: readonly FieldError[]) {
    super(400, 'validation_failed', 'Validation failed', {
      detail: errors.map((error) => `${error.field}: ${error.message}`).join('; '),
      extensions: { errors },
    });
  }
}

/** The method is not defined for this resource. */
export class MethodNotAllowedError extends ApiError {
  constructor(allowed: readonly string[]) {
    super(405, 'method_not_allowed', 'Method not allowed', {
      detail: `allowed: ${allowed.join(', ')}`,
      headers: { Allow: allowed.join(', ') },
    });
  }
}

/** A conditional request whose `If-Match` no longer matches. */
export class PreconditionFailedError extends ApiError {
  constructor(detail = 'the resource has changed; fetch it again and retry with its new ETag') {
    super(412, 'precondition_failed', 'Precondition failed', { detail });
  }
}

/** A change that must be conditional came without `If-Match`. */
export class PreconditionRequiredError extends ApiError {
  constructor() {
    super(428, 'precondition_required', 'Precondition required', {
      detail: 'send If-Match with the ETag of the version you are changing',
    });
  }
}

/** The same Idempotency-Key was used with another request. */
export class IdempotencyConflictError extends ApiError {
  constructor() {
    super(409, 'idempotency_conflict', 'Idempotency key reused', {
      detail: 'this Idempotency-Key was already used with a different request',
    });
  }
}

/** The body is larger than the limit. */
export class PayloadTooLargeError extends ApiError {
  constructor(limit: number) {
    super(413, 'payload_too_large', 'Payload too large', {
      detail: `the body must not exceed ${limit} bytes`,
    });
  }
}

/** The body is not JSON. */
export class UnsupportedMediaTypeError extends ApiError {
  constructor() {
    super(415, 'unsupported_media_type', 'Unsupported media type', {
      detail: 'send the body as application/json',
    });
  }
}

/** Too many requests from this client or address. */
export class RateLimitedError extends ApiError {
  constructor(retryAfterS: number, headers: Readonly<Record<string, string>>) {
    super(429, 'rate_limited', 'Too many requests', {
      detail: `retry after ${retryAfterS} seconds`,
      headers: { ...headers, 'Retry-After': String(retryAfterS) },
    });
  }
}

/** Anything unexpected: the client sees only the error id, the log gets the cause. */
export class InternalError extends ApiError {
  override readonly expose = false;
  constructor(
    readonly errorId: string,
    cause?: unknown,
  ) {
    super(500, 'internal_error', 'Internal server error', {
      detail: `an unexpected error occurred; quote error id ${errorId} when reporting it`,
      cause,
      extensions: { error_id: errorId },
    });
  }
}
