import { Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { AuthServerConfig } from './config.js';
import { ConsentedLimits } from './consented-limits.js';
import { interactionRoutes } from './interactions/interaction-routes.js';
import type { KeyMaterial } from './keys.js';
import { MemoryStorage } from './memory-adapter.js';
import { phantomTokenExchange } from './phantom-token.js';
import { GRANT_TTL_S, providerConfiguration } from './provider-config.js';
import { requestLog } from './request-log.js';

/**
 * DEVELOPMENT ONLY. The authorization server: oidc-provider with the development clients and
 * users, its login and consent pages, and the phantom token exchange at its introspection endpoint.
 * Returns the provider (a Koa app); the caller listens.
 */
export async function createAuthServer(
  config: AuthServerConfig,
  keys: KeyMaterial,
  logger: Logger,
): Promise<Provider> {
  const storage = new MemoryStorage();
  const adapter = storage.factory();
  const limits = new ConsentedLimits(adapter('AgentLimits'), GRANT_TTL_S);
  const provider = new Provider(config.issuer, providerConfiguration({ config, keys, limits, adapter }));
  // Koa's own switch: X-Forwarded-Proto/Host are believed only when the deployment says so.
  provider.proxy = config.trustProxy;
  provider.use(requestLog(logger));
  provider.use(interactionRoutes({ provider, limits, logger }));
  provider.use(
    await phantomTokenExchange({
      signingKey: keys.signingKey,
      issuer: config.issuer,
      audience: config.apiAudience,
    }),
  );
  provider.on('server_error', (_ctx, error) => {
    logger.error({ err: error }, 'server error');
  });
  return provider;
}
