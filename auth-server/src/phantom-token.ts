import { createHash } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { AccessToken, ClientCredentials, KoaContextWithOIDC } from 'oidc-provider';
import { SIGNING_ALG } from './keys.js';
import { EXTRA_CLAIMS } from './token-claims.js';

/** The media type a gateway asks for to receive the token as a JWT (the phantom token pattern). */
export const JWT_MEDIA_TYPE = 'application/jwt';

/** A stable `jti` for the JWT of one opaque token that does not reveal the opaque token. */
function jwtId(opaqueTokenId: string): string {
  return createHash('sha256').update(`verdict-phantom-jti:${opaqueTokenId}`).digest('base64url');
}

/** The RFC 9068 claims of an active access token: the standard ones, then those of EXTRA_CLAIMS it has. */
function claimsOf(
  token: AccessToken | ClientCredentials,
  issuer: string,
  audience: string,
): Record<string, unknown> {
  const extra = token.extra ?? {};
  const claims: Record<string, unknown> = {
    iss: issuer,
    aud: audience,
    exp: token.exp,
    iat: token.iat,
    jti: jwtId(token.jti),
    sub: token.kind === 'AccessToken' ? token.accountId : token.clientId,
    client_id: token.clientId,
    scope: token.scope ?? '',
  };
  for (const name of EXTRA_CLAIMS) if (extra[name] !== undefined) claims[name] = extra[name];
  return claims;
}

function audienceIs(token: AccessToken | ClientCredentials, audience: string): boolean {
  return Array.isArray(token.aud)
    ? token.aud.length === 1 && token.aud[0] === audience
    : token.aud === audience;
}

/**
 * Introspection the Curity way: after oidc-provider's introspection has authenticated the client and
 * judged the token, a request with `Accept: application/jwt` gets, for an active access token of
 * the API, a signed RFC 9068 JWT (`typ: at+jwt`) instead of the JSON; for anything else, including
 * refresh tokens, `{"active":false}`. Without that Accept header, RFC 7662 JSON as usual.
 */
export async function phantomTokenExchange(options: {
  readonly signingKey: JWK & { kid: string };
  readonly issuer: string;
  readonly audience: string;
}): Promise<(ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>> {
  const key = await importJWK(options.signingKey, SIGNING_ALG);
  const header = { alg: SIGNING_ALG, kid: options.signingKey.kid, typ: 'at+jwt' };
  return async function exchangePhantomToken(ctx, next) {
    await next();
    // ctx.oidc is undefined on routes that are not the provider's (the interaction pages).
    if ((ctx.oidc as KoaContextWithOIDC['oidc'] | undefined)?.route !== 'introspection' || ctx.status !== 200)
      return;
    if (ctx.accepts('application/json', JWT_MEDIA_TYPE) !== JWT_MEDIA_TYPE) return;
    const { entities } = ctx.oidc;
    const token = entities.AccessToken ?? entities.ClientCredentials;
    const active = (ctx.body as { active?: unknown } | undefined)?.active === true;
    if (
      !active ||
      token === undefined ||
      token.isSenderConstrained() ||
      !audienceIs(token, options.audience)
    ) {
      ctx.body = { active: false };
      return;
    }
    ctx.body = await new SignJWT(claimsOf(token, options.issuer, options.audience))
      .setProtectedHeader(header)
      .sign(key);
    ctx.type = JWT_MEDIA_TYPE;
  };
}
