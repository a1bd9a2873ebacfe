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
  /** Least time between two fetches, whoever asks: unknown `kid`s, stale keys, readiness. */
  readonly cooldownMs: number;
  /** After this, the key set is refreshed before use; while that fails, the old set keeps serving. */
  readonly cacheMaxAgeMs: number;
  readonly timeoutMs?: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** Called after a fetch that changed the key set (the verified-token cache is flushed then). */
  readonly onChange?: () => void;
}

/**
 * The authorization server's signing keys, fetched over HTTP. Nothing causes more than one fetch
 * per cooldown, so keys rotate without a restart and no caller can make it hammer the endpoint; the
 * last good key set keeps serving while the endpoint is down. With no key at all (none fetched yet,
 * or an empty set), it fails with 503, never with 401.
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
    if (this.#local === undefined) await this.#fetchOncePerCooldown();
    else await this.revalidate();
    const local = this.#local;
    if (local === undefined) throw new AuthorizationServerUnavailableError();
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const fetching = this.#fetchOncePerCooldown();
      if (fetching === undefined) throw error;
      if (!(await fetching)) throw new AuthorizationServerUnavailableError();
    }
    const fetched = this.#local;
    if (fetched === undefined) throw new AuthorizationServerUnavailableError();
    return fetched(header, token);
  };

  /**
   * Refreshes the key set when it is older than the cache max age (at most once per cooldown), so
   * that a change flushes cached tokens even when every request is a cache hit.
   */
  revalidate(): Promise<unknown> | undefined {
    if (this.#local !== undefined && this.options.now() - this.#fetchedAt >= this.options.cacheMaxAgeMs)
      return this.#fetchOncePerCooldown();
    // Fresh keys (every request but one per max age): nothing to wait for, not even a resolved promise.
    return undefined;
  }

  /** Changes whenever the served key set changes: a verification that began before may not be cached. */
  get generation(): number {
    return this.#generation;
  }

  /** Whether a non-empty key set has been fetched and is being served; never fetches. */
  get ready(): boolean {
    return this.#local !== undefined;
  }

  /**
   * Fetches the key set unless a fetch was tried within the cooldown (readiness and start call
   * this); resolves whether keys are being served afterwards.
   */
  async refresh(): Promise<boolean> {
    await this.#fetchOncePerCooldown();
    return this.ready;
  }

  /** Joins the fetch in flight, or starts one if the cooldown allows; undefined when it does not. */
  #fetchOncePerCooldown(): Promise<boolean> | undefined {
    if (this.#inflight !== undefined) return this.#inflight;
    const now = this.options.now();
    if (now - this.#attemptedAt < this.options.cooldownMs) return undefined;
    this.#attemptedAt = now;
    this.#inflight = this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** One fetch; resolves false when it failed (the last good key set keeps serving then). */
  async #fetch(): Promise<boolean> {
    const { url, timeoutMs = 5000, logger } = this.options;
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
      // An empty set withdraws every key: nothing is served, as before the first fetch.
      this.#local = jwks.keys.length > 0 ? createLocalJWKSet(jwks) : undefined;
      this.#fetchedAt = this.options.now();
      if (hash !== this.#hash) {
        const previous = this.#hash;
        this.#hash = hash;
        if (jwks.keys.length > 0) logger.info({ keys: jwks.keys.length }, 'signing key set loaded');
        else logger.warn('signing key set is empty');
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
