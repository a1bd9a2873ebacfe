import { errors, type AccessToken, type ClientCredentials, type KoaContextWithOIDC } from 'oidc-provider';
import { findUser } from './accounts.js';
import { findClient } from './clients.js';
import type { ConsentedLimits } from './consented-limits.js';
import { ACR_MFA } from './step-up.js';

/**
 * The claims beyond RFC 9068's that the API reads. They are computed once, when the opaque token
 * is issued, and kept in its `extra`; the phantom token copies exactly these.
 */
export const EXTRA_CLAIMS = [
  'roles',
  'department',
  'agent',
  'transaction_not_older_than',
  'transaction_amount_limit',
  'excluded_categories',
  'acr',
  'auth_time',
] as const;

type Claims = Record<string, unknown>;

/** `acr` and `auth_time` of a multi-factor login, from the code or refresh token being exchanged. */
function stepUpClaims(ctx: KoaContextWithOIDC | undefined): Claims {
  const entities = ctx?.oidc.entities;
  const source = entities?.AuthorizationCode ?? entities?.RefreshToken;
  if (source?.acr !== ACR_MFA || typeof source.authTime !== 'number') return {};
  return { acr: ACR_MFA, auth_time: source.authTime };
}

/**
 * oidc-provider's `extraTokenClaims`: a service client's token gets `sub == client_id`; a user's
 * its roles (none for a customer) and department; through an AI agent also `agent` and the limits
 * the user consented to, failing the exchange when no consent was recorded.
 */
export function extraTokenClaims(limits: ConsentedLimits) {
  return async function tokenClaims(
    ctx: KoaContextWithOIDC | undefined,
    token: AccessToken | ClientCredentials,
  ): Promise<Claims> {
    if (token.kind === 'ClientCredentials') return { sub: token.clientId };
    const user = findUser(token.accountId);
    const client = findClient(token.clientId ?? '');
    if (user === undefined || client === undefined)
      throw new errors.InvalidGrant('unknown account or client');
    const claims: Claims = {
      ...(user.roles.length > 0 ? { roles: [...user.roles] } : {}),
      department: user.department,
    };
    if (client.kind === 'agent') {
      const consented = await limits.find(token.grantId);
      if (consented === undefined) throw new errors.InvalidGrant('no consent recorded for this agent grant');
      Object.assign(claims, {
        agent: { id: client.id, client_type: client.public ? 'public' : 'confidential' },
      });
      Object.assign(claims, consented);
    }
    return { ...claims, ...stepUpClaims(ctx) };
  };
}
