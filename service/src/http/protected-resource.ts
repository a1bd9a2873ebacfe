import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { ResourceMetadataConfig } from '../config.js';
import type { RequestState } from './state.js';

/** Where RFC 9728 §3 puts the metadata of a resource whose identifier has no path. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/** Every scope the API's actions need (ARCHITECTURE.md, policy input contract). */
export const SCOPES_SUPPORTED: readonly string[] = [
  'transactions:read',
  'transactions:write',
  'transactions:delete',
  'transactions:approve',
  'accounts:read',
  'accounts:write',
  'audit:read',
];

/** The metadata document (RFC 9728 §2): who issues tokens for this API, and how to send them. */
export function protectedResourceMetadata(config: ResourceMetadataConfig): Record<string, unknown> {
  return {
    resource: config.resource,
    authorization_servers: config.authorizationServers,
    scopes_supported: SCOPES_SUPPORTED,
    bearer_methods_supported: ['header'],
    resource_name: 'Verdict transactions API',
    resource_documentation: `${config.resource}/openapi.json`,
  };
}

/** Adds `GET /.well-known/oauth-protected-resource` (unauthenticated) to the public routes. */
export function addProtectedResourceRoute(router: Router, config: ResourceMetadataConfig): void {
  const document = protectedResourceMetadata(config);
  router.get(PROTECTED_RESOURCE_PATH, function protectedResource(ctx) {
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = document;
  });
}

/**
 * Adds `resource_metadata="<url>"` (RFC 9728 §5.1) to every Bearer challenge the API answers with,
 * so a client that was refused finds where to get a token. Mounted outside the problem handler.
 */
export function challengeResourceMetadata(
  config: ResourceMetadataConfig | undefined,
): Middleware<RequestState> {
  if (config === undefined)
    return function noResourceMetadata(_ctx, next) {
      return next();
    };
  const param = `, resource_metadata="${config.resource}${PROTECTED_RESOURCE_PATH}"`;
  return async function challengeResourceMetadata(ctx, next) {
    await next();
    // Koa answers undefined, not '', for a header that is not set.
    const challenge = ctx.response.get('WWW-Authenticate') as string | undefined;
    if (challenge?.startsWith('Bearer ') === true) ctx.set('WWW-Authenticate', challenge + param);
  };
}
