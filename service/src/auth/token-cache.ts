import { hash } from 'node:crypto';
import type { AccessTokenClaims } from './claims.js';

interface Entry {
  readonly claims: AccessTokenClaims;
  readonly expiresAtMs: number;
}

/**
 * Bounded cache of verified tokens, keyed by the token's SHA-256 so the token itself is never kept.
 * Entries never outlive the token's `exp`; least recently used entries are evicted first.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  #hits = 0;
  #misses = 0;

  constructor(private readonly maxEntries = 10_000) {}

  /** The cache key of a token. */
  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  /** The verified claims of the token, or undefined when it is not cached or has expired by `nowMs`. */
  get(key: string, nowMs: number): AccessTokenClaims | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(key);
    if (nowMs >= entry.expiresAtMs) {
      this.#misses++;
      return undefined;
    }
    this.#entries.set(key, entry);
    this.#hits++;
    return entry.claims;
  }

  /** Remembers verified claims until `expiresAtMs`. */
  set(key: string, claims: AccessTokenClaims, expiresAtMs: number): void {
    if (this.maxEntries <= 0) return;
    this.#entries.delete(key);
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { claims, expiresAtMs });
  }

  /** Forgets every entry: called when the signing key set changes. */
  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  get stats(): { hits: number; misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }
}
