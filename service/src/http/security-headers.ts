import type { Middleware } from 'koa';

/** The headers every response carries, errors included, as name-value pairs. */
const HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Cache-Control', 'no-store'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

/**
 * Sets the security headers before anything else can answer; HSTS only when `isTls` says so.
 * Nothing has been sent when it runs, so it sets them on the raw response (Koa's `ctx.set` makes
 * arrays of entries per call), and hands on `next`'s promise (nothing runs after it).
 */
export function securityHeaders(isTls: (ctx: Parameters<Middleware>[0]) => boolean): Middleware {
  return function securityHeaders(ctx, next) {
    const { res } = ctx;
    for (const [name, value] of HEADERS) res.setHeader(name, value);
    if (isTls(ctx)) res.setHeader('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    res.removeHeader('X-Powered-By');
    return next();
  };
}
