import type { OpaErrorBody, OpaErrorCode, OpaErrorDetail } from '../contract/data-api.js';

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
  toJSON(): OpaErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.details.length === 0 ? {} : { errors: this.details }),
    };
  }
}
