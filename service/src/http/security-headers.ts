import type { Middleware } from 'koa';

/** The headers every response carries, errors included. */
const HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

/** Sets the security headers before anything else can answer; HSTS only when `isTls` says so. */
export function securityHeaders(isTls: (ctx: Parameters<Middleware>[0]) => boolean): Middleware {
  return async function securityHeaders(ctx, next) {
    ctx.set(HEADERS);
    if (isTls(ctx)) ctx.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    ctx.remove('X-Powered-By');
    await next();
  };
}
