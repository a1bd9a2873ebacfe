import { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { findUser } from './accounts.js';
import { checkLimitParam, InvalidLimitError, LIMIT_PARAMS, type LimitParam } from './agent-limits.js';
import { API_SCOPES, clientMetadata, findClient, GATEWAY_CLIENT_ID } from './clients.js';
import type { AuthServerConfig } from './config.js';
import type { ConsentedLimits } from './consented-limits.js';
import type { KeyMaterial } from './keys.js';
import { ACR_MFA, requestsMfa } from './step-up.js';
import { extraTokenClaims } from './token-claims.js';

/**
 * The RFC 8707 resource indicator of the API. Clients need not send it (every request defaults
 * to it); its tokens carry `aud` = API_AUDIENCE.
 */
export const API_RESOURCE = 'urn:verdict:api:transactions';

/** How long a grant (and an agent's consented limits) lasts: a working day. */
export const GRANT_TTL_S = 8 * 3600;

const { Check, base } = interactionPolicy;

/** The default prompts, plus step-up on `acr_values` and a consent page for every agent authorization. */
function policy(): interactionPolicy.DefaultPolicy {
  const prompts = base();
  prompts
    .get('login')
    ?.checks.add(
      new Check('acr_values_mfa', 'multi-factor authentication is required', (ctx) =>
        requestsMfa(ctx.oidc.params?.acr_values) && ctx.oidc.acr !== ACR_MFA
          ? Check.REQUEST_PROMPT
          : Check.NO_NEED_TO_PROMPT,
      ),
    );
  prompts
    .get('consent')
    ?.checks.add(
      new Check('agent_limits', 'an AI agent needs the user to confirm its limits', (ctx) =>
        findClient(ctx.oidc.client?.clientId ?? '')?.kind === 'agent' &&
        ctx.oidc.result?.consent === undefined
          ? Check.REQUEST_PROMPT
          : Check.NO_NEED_TO_PROMPT,
      ),
    );
  return prompts;
}

/** The limit parameters' validators (oidc-provider's `extraParams`). */
function limitParams(): Record<LimitParam, (ctx: KoaContextWithOIDC, value: string | undefined) => void> {
  const validator = (param: LimitParam) =>
    function validateLimit(_ctx: KoaContextWithOIDC, value: string | undefined): void {
      try {
        checkLimitParam(param, value);
      } catch (error) {
        if (error instanceof InvalidLimitError) throw new errors.InvalidRequest(error.message);
        throw error;
      }
    };
  return Object.fromEntries(LIMIT_PARAMS.map((param) => [param, validator(param)])) as Record<
    LimitParam,
    (ctx: KoaContextWithOIDC, value: string | undefined) => void
  >;
}

/**
 * An agent's grant is never reused from the session: each of its authorizations gets a consent
 * page and a grant of its own, so the limits on a token are the ones consented to for it.
 */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, result, session } = ctx.oidc;
  if (client === undefined) return undefined;
  const agent = findClient(client.clientId)?.kind === 'agent';
  const grantId = result?.consent?.grantId ?? (agent ? undefined : session?.grantIdFor(client.clientId));
  return grantId === undefined ? undefined : ctx.oidc.provider.Grant.find(grantId);
}

/** oidc-provider's configuration for the development authorization server. */
export function providerConfiguration(deps: {
  readonly config: AuthServerConfig;
  readonly keys: KeyMaterial;
  readonly limits: ConsentedLimits;
  readonly adapter: NonNullable<Configuration['adapter']>;
}): Configuration {
  const { config, keys, limits } = deps;
  return {
    adapter: deps.adapter,
    clients: clientMetadata(keys.clientSecrets),
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    jwks: { keys: [keys.signingKey] },
    cookies: { keys: [...keys.cookieKeys] },
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'], profile: ['name'] },
    acrValues: [ACR_MFA],
    findAccount(_ctx, id) {
      const user = findUser(id);
      if (user === undefined) return undefined;
      return { accountId: user.id, claims: () => ({ sub: user.id, name: user.name }) };
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Any other client learns nothing: every token reads as inactive to it.
        allowedPolicy: (_ctx, client) => client.clientId === GATEWAY_CLIENT_ID,
      },
      // A client revokes its own tokens only.
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      // The phantom JWT carries no `cnf`: bearer tokens only, so no binding is lost in the exchange.
      dPoP: { enabled: false },
      userinfo: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, indicator, client) {
          if (indicator !== API_RESOURCE) throw new errors.InvalidTarget();
          const allowed = findClient(client.clientId)?.scopes ?? [];
          return {
            scope: API_SCOPES.filter((scope) => allowed.includes(scope)).join(' '),
            audience: config.apiAudience,
            accessTokenFormat: 'opaque',
          };
        },
      },
    },
    pkce: { required: () => true },
    extraParams: limitParams(),
    extraTokenClaims: extraTokenClaims(limits),
    issueRefreshToken: (_ctx, client, code) =>
      findClient(client.clientId)?.kind === 'app' &&
      client.grantTypeAllowed('refresh_token') &&
      code.scopes.has('offline_access'),
    loadExistingGrant,
    interactions: { policy: policy(), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: (_ctx, _token, client) =>
        findClient(client.clientId)?.kind === 'agent' ? config.agentAccessTokenTtlS : config.accessTokenTtlS,
      ClientCredentials: config.accessTokenTtlS,
      AuthorizationCode: 60,
      IdToken: config.accessTokenTtlS,
      Interaction: 600,
      Grant: GRANT_TTL_S,
      Session: GRANT_TTL_S,
      RefreshToken: GRANT_TTL_S,
    },
  };
}
