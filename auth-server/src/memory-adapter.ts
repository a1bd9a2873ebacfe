import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  readonly payload: AdapterPayload;
  /** Epoch milliseconds; Infinity for no expiry. */
  readonly expiresAt: number;
}

/** Models whose entries carry a grantId and go when their grant is revoked. */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
]);

/** How many writes between sweeps of expired entries. */
const SWEEP_EVERY = 256;

/**
 * DEVELOPMENT ONLY. oidc-provider's storage in one process's memory: a restart forgets every
 * session, grant and token (the keys stay, under KEYS_DIR). Unlike the library's quick-start
 * adapter it evicts by expiry only, never by count, so a busy test run cannot lose a live token.
 */
export class MemoryStorage {
  readonly #entries = new Map<string, Entry>();
  /** grantId → keys of the entries issued under it. */
  readonly #grants = new Map<string, Set<string>>();
  /** Session uid → session id. */
  readonly #sessionUids = new Map<string, string>();
  readonly #now: () => number;
  #writes = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** An adapter factory for oidc-provider's `adapter` option. */
  factory(): AdapterFactory {
    return (model) => this.#adapter(model);
  }

  #get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#delete(key);
      return undefined;
    }
    return entry.payload;
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    const grantId = entry?.payload.grantId;
    if (grantId !== undefined) this.#grants.get(grantId)?.delete(key);
    const uid = entry?.payload.uid;
    if (uid !== undefined && this.#sessionUids.get(uid) === key) this.#sessionUids.delete(uid);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#delete(key);
    for (const [grantId, keys] of this.#grants) if (keys.size === 0) this.#grants.delete(grantId);
  }

  #adapter(model: string): Adapter {
    const key = (id: string): string => `${model}:${id}`;
    const upsert = (id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> => {
      if (++this.#writes % SWEEP_EVERY === 0) this.#sweep();
      this.#delete(key(id));
      const expiresAt = expiresIn === undefined ? Infinity : this.#now() + expiresIn * 1000;
      this.#entries.set(key(id), { payload, expiresAt });
      if (GRANTABLE.has(model) && payload.grantId !== undefined) {
        const keys = this.#grants.get(payload.grantId) ?? new Set<string>();
        keys.add(key(id));
        this.#grants.set(payload.grantId, keys);
      }
      if (model === 'Session' && payload.uid !== undefined) this.#sessionUids.set(payload.uid, key(id));
      return Promise.resolve();
    };
    return {
      upsert,
      find: (id) => Promise.resolve(this.#get(key(id))),
      findByUid: (uid) => {
        const sessionKey = this.#sessionUids.get(uid);
        return Promise.resolve(sessionKey === undefined ? undefined : this.#get(sessionKey));
      },
      findByUserCode: () => Promise.resolve(undefined),
      consume: (id) => {
        const payload = this.#get(key(id));
        if (payload !== undefined) payload.consumed = Math.floor(this.#now() / 1000);
        return Promise.resolve();
      },
      destroy: (id) => {
        this.#delete(key(id));
        return Promise.resolve();
      },
      revokeByGrantId: (grantId) => {
        for (const member of this.#grants.get(grantId) ?? []) this.#entries.delete(member);
        this.#grants.delete(grantId);
        return Promise.resolve();
      },
    };
  }
}
