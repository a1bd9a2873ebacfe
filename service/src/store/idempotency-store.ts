/** How long an idempotency key is remembered. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** A stored first response to an idempotent request. */
export interface StoredResponse {
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
  readonly location: string;
  /** The ETag of the created resource, sent again on a replay. */
  readonly etag: string;
}

/** An idempotency key, scoped to the caller who sent it. */
export interface IdempotencyKey {
  readonly scope: string;
  readonly key: string;
  readonly fingerprint: string;
}

/**
 * The first responses of idempotent creates, remembered for a day. They are written by the create
 * itself, in its database transaction (`TransactionStore.create`, `AccountStore.openAccount`).
 */
export interface IdempotencyStore {
  /** The response stored under a caller's key, if any and not expired. */
  findIdempotent(scope: string, key: string): Promise<StoredResponse | undefined>;
}
