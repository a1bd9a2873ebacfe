// The peer stack, as commonly built: Koa, jose verifying the token on every request (no cache, as
// express-oauth2-jwt-bearer does), the same prepared read, and the decision from `opa run --server`
// over HTTP (fetch, keep-alive) on the same policies as a Rego bundle.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Koa from 'koa';
import { randomUUID } from 'node:crypto';
import { listen } from './listen.js';
import { openRows, redact, resourceOf, settings, transactionOf } from './rows.js';

const config = settings();
if (config.opaUrl === undefined) throw new Error('OPA_URL is required');
const decisionUrl = `${config.opaUrl}/v1/data/verdict/authz/decision`;
const keys = createRemoteJWKSet(config.jwksUrl);
const rows = openRows(config.databasePath);
const ID = /^\/transactions\/([0-9a-f-]{36})$/;

interface Decision {
  allow: boolean;
  visible: boolean;
  redact: string[];
}

const app = new Koa();
app.use(async function peer(ctx) {
  const header = ctx.get('authorization');
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(header.replace(/^Bearer /, ''), keys, {
      issuer: config.issuer,
      audience: config.audience,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    }));
  } catch {
    ctx.status = 401;
    return;
  }
  const id = ID.exec(ctx.path)?.[1];
  const row = id === undefined ? undefined : rows.byId(id);
  if (row === undefined) {
    ctx.status = 404;
    return;
  }
  const input = {
    subject: { claims },
    action: 'transactions:read',
    resource: resourceOf(row),
    environment: { now: new Date().toISOString(), request_id: randomUUID(), ip: ctx.ip },
  };
  const response = await fetch(decisionUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  const { result } = (await response.json()) as { result?: Decision };
  if (result === undefined || !result.allow) {
    ctx.status = result?.visible === true ? 403 : 404;
    return;
  }
  ctx.body = redact(transactionOf(row), result.redact);
});
listen(app);
