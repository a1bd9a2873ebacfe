// The minimal reference: what a secured read needs and nothing else — Koa, jose with a Map of
// verified tokens, one prepared better-sqlite3 read, one Engine.decide of the same bundle. Its
// list route is the same page with no policy at all (the owner's rows, as an app without a policy
// engine would select them).
import { Engine } from '@verdict/sidecar/engine';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import Koa, { type Context } from 'koa';
import { randomUUID } from 'node:crypto';
import { listen } from './listen.js';
import { openRows, redact, resourceOf, settings, transactionOf } from './rows.js';

const config = settings();
const keys = createRemoteJWKSet(config.jwksUrl);
const verified = new Map<string, JWTPayload>();
const rows = openRows(config.databasePath);
const engine = await Engine.fromFile(config.bundlePath);
const ID = /^\/transactions\/([0-9a-f-]{36})$/;

async function claimsOf(ctx: Context): Promise<JWTPayload | undefined> {
  const header = ctx.get('authorization');
  if (!header.startsWith('Bearer ')) return undefined;
  const token = header.slice('Bearer '.length);
  const cached = verified.get(token);
  if (cached !== undefined && (cached.exp ?? 0) * 1000 > Date.now()) return cached;
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: config.issuer,
      audience: config.audience,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    verified.set(token, payload);
    return payload;
  } catch {
    return undefined;
  }
}

const app = new Koa();
app.use(async function reference(ctx) {
  const claims = await claimsOf(ctx);
  if (claims === undefined || typeof claims.sub !== 'string') {
    ctx.status = 401;
    return;
  }
  if (ctx.path === '/transactions') {
    const limit = Math.min(100, Math.max(1, Number(ctx.query.limit ?? 20)));
    const page = rows.pageOf(claims.sub, limit + 1);
    ctx.body = {
      items: page.slice(0, limit).map(transactionOf),
      next_cursor: page.length > limit ? (page[limit - 1]?.id ?? null) : null,
    };
    return;
  }
  const id = ID.exec(ctx.path)?.[1];
  const row = id === undefined ? undefined : rows.byId(id);
  if (row === undefined) {
    ctx.status = 404;
    return;
  }
  const { decision } = engine.decide({
    subject: { claims: claims as JWTPayload & { sub: string; client_id: string; scope: string } },
    action: 'transactions:read',
    resource: resourceOf(row),
    environment: { now: new Date().toISOString(), request_id: randomUUID(), ip: ctx.ip },
  });
  if (!decision.allow) {
    ctx.status = decision.visible ? 403 : 404;
    return;
  }
  ctx.body = redact(transactionOf(row), decision.redact);
});
listen(app);
