import type { Adapter } from 'oidc-provider';
import type { AgentLimits } from './agent-limits.js';

/**
 * The limits a user confirmed on the consent page, by the grant that consent created. Each agent
 * authorization gets a grant of its own (provider.ts: loadExistingGrant), so a grant's limits are
 * exactly what the user saw for that authorization. Kept in the provider's storage.
 */
export class ConsentedLimits {
  readonly #adapter: Adapter;
  readonly #ttlS: number;

  /** `ttlS` is the grant's lifetime. */
  constructor(adapter: Adapter, ttlS: number) {
    this.#adapter = adapter;
    this.#ttlS = ttlS;
  }

  /** Records what the user consented to for this grant. */
  async record(grantId: string, limits: AgentLimits): Promise<void> {
    await this.#adapter.upsert(grantId, { limits }, this.#ttlS);
  }

  /** The limits consented to for this grant, or undefined when no consent was recorded. */
  async find(grantId: string): Promise<AgentLimits | undefined> {
    const stored = (await this.#adapter.find(grantId)) as { limits?: AgentLimits } | undefined;
    return stored?.limits;
  }
}
