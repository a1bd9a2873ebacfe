import {
  createLocalJWKSet,
  errors as joseErrors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { AuthorizationServerUnavailableError } from '../errors.js';

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;
type ResolvedKey = Awaited<ReturnType<LocalKeySet>>;

/** Options of a RemoteKeySet; times in milliseconds. */
export interface RemoteKeySetOptions {
  readonly url: URL;
  /** Least time between two fetches caused by unknown `kid`s or stale keys. */
  readonly cooldownMs: number;
  /** After this, the key set is refreshed before use; while that fails, the old set keeps serving. */
  readonly cacheMaxAgeMs: number;
  readonly timeoutMs?: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** Called after a fetch that changed the key set (the verified-token cache is flushed then). */
  readonly onChange?: () => void;
}

/** Least time between two fetches while no key set has ever been fetched. */
const RETRY_WITHOUT_KEYS_MS = 1000;

/**
 * The authorization server's signing keys, fetched over HTTP. An unknown `kid` causes at most one
 * fetch per cooldown, so keys rotate without a restart; the last good key set keeps serving while
 * the endpoint is down. With no usable key at all, it fails with 503, never with 401.
 */
export class RemoteKeySet {
  #local: LocalKeySet | undefined;
  #hash: string | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<boolean> | undefined;
  #generation = 0;

  constructor(private readonly options: RemoteKeySetOptions) {}

  /** Resolves the key for a JWS header; the shape jose's `jwtVerify` takes as its key argument. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<ResolvedKey> => {
    const now = this.options.now();
    if (this.#local === undefined) {
      if (this.#inflight !== undefined || now - this.#attemptedAt >= RETRY_WITHOUT_KEYS_MS)
        await this.refresh();
    } else {
      await this.revalidate();
    }
    const local = this.#local;
    if (local === undefined) throw new AuthorizationServerUnavailableError();
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || !this.#mayFetch(this.options.now()))
        throw error;
    }
    const fetched = await this.refresh();
    if (!fetched) throw new AuthorizationServerUnavailableError();
    return (this.#local ?? local)(header, token);
  };

  /**
   * Refreshes the key set when it is older than the cache max age (at most once per cooldown), so
   * that a change flushes cached tokens even when every request is a cache hit.
   */
  async revalidate(): Promise<void> {
    const now = this.options.now();
    if (
      this.#local !== undefined &&
      now - this.#fetchedAt >= this.options.cacheMaxAgeMs &&
      this.#mayFetch(now)
    ) {
      await this.refresh();
    }
  }

  /** Changes whenever the served key set changes: a verification that began before may not be cached. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether a key set has been fetched and is being served. */
  get ready(): boolean {
    return this.#local !== undefined;
  }

  #mayFetch(now: number): boolean {
    return now - this.#attemptedAt >= this.options.cooldownMs;
  }

  /** Fetches the key set now (one fetch at a time); resolves false when it failed. */
  refresh(): Promise<boolean> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<boolean> {
    const { url, timeoutMs = 5000, logger } = this.options;
    this.#attemptedAt = this.options.now();
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 200) throw new Error(`JWKS endpoint answered ${response.status}`);
      const body = await response.text();
      const jwks = JSON.parse(body) as JSONWebKeySet;
      if (typeof jwks !== 'object' || !Array.isArray(jwks.keys))
        throw new Error('JWKS response has no "keys" array');
      const hash = createHash('sha256').update(body).digest('base64url');
      this.#local = createLocalJWKSet(jwks);
      this.#fetchedAt = this.options.now();
      if (hash !== this.#hash) {
        const previous = this.#hash;
        this.#hash = hash;
        logger.info({ keys: jwks.keys.length }, 'signing key set loaded');
        if (previous !== undefined) {
          this.#generation++;
          this.options.onChange?.();
        }
      }
      return true;
    } catch (error) {
      logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'signing key set fetch failed',
      );
      return false;
    }
  }
}
