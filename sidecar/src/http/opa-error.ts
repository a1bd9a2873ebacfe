/** OPA's REST API error codes (server/types: `internal_error`, `invalid_parameter`, `resource_not_found`, …). */
export type OpaErrorCode =
  'internal_error' | 'invalid_parameter' | 'resource_not_found' | 'method_not_allowed';

/** One detail of an OPA error body. */
export interface OpaErrorDetail {
  readonly code: string;
  readonly message: string;
}

/**
 * An HTTP error the sidecar answers in OPA's body shape, `{"code", "message", "errors"?}`. Handlers
 * throw it; the router writes it.
 */
export class OpaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: OpaErrorCode,
    message: string,
    readonly details: readonly OpaErrorDetail[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'OpaHttpError';
  }

  /** The response body. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.details.length === 0 ? {} : { errors: this.details }),
    };
  }
}
