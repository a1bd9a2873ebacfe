import Router from '@koa/router';
import type { Middleware } from 'koa';
import { Readable } from 'node:stream';
import { authorize, type AuthorizeDeps, type AuthorizedState } from '../authz/authorize.js';
import { validator } from '../http/validator.js';
import type { AuditLog, AuditQuery } from '../store/audit-log.js';
import type { AuditRecord } from './record.js';

/** Query of GET /audit. */
export const auditQuerySchema = {
  $id: 'AuditQuery',
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' },
    since: { type: 'string', format: 'date-time' },
    until: { type: 'string', format: 'date-time' },
    sub: { type: 'string', minLength: 1, maxLength: 255 },
    resource_id: { type: 'string', minLength: 1, maxLength: 64 },
    outcome: { type: 'string', enum: ['allowed', 'denied', 'error'] },
    format: { type: 'string', enum: ['json', 'jsonl'], default: 'json' },
  },
} as const;

const validateQuery = validator('query', auditQuerySchema);

/** How many records one page of a JSON lines export reads. */
const EXPORT_PAGE = 500;

/** What the audit routes need. */
export interface AuditRoutesDeps extends AuthorizeDeps {
  readonly store: AuditLog;
  readonly guard: readonly Middleware<AuthorizedState>[];
}

async function* exportAll(store: AuditLog, query: AuditQuery): AsyncGenerator<string> {
  let beforeSeq = query.beforeSeq;
  for (;;) {
    const page: readonly AuditRecord[] = await store.listAudit({ ...query, beforeSeq, limit: EXPORT_PAGE });
    for (const record of page) yield `${JSON.stringify(record)}\n`;
    const last = page.at(-1);
    if (page.length < EXPORT_PAGE || last === undefined) return;
    beforeSeq = last.seq;
  }
}

/** GET /audit: the audit trail, newest first, decided by the policy like every route (`audit:read`). */
export function auditRoutes({ store, guard, ...authorizeDeps }: AuditRoutesDeps): Router<AuthorizedState> {
  const auditTrail: Middleware<AuthorizedState> = async function auditTrail(ctx, next) {
    ctx.state.resource = { type: 'audit' };
    await next();
  };

  const readAudit: Middleware<AuthorizedState> = async function readAudit(ctx) {
    const params = validateQuery({ ...ctx.query });
    const query: AuditQuery = {
      limit: params.limit,
      ...(params.cursor === undefined ? {} : { beforeSeq: Number(params.cursor) }),
      since: params.since,
      until: params.until,
      sub: params.sub,
      resource_id: params.resource_id,
      outcome: params.outcome,
    };
    if (params.format === 'jsonl') {
      ctx.type = 'application/x-ndjson';
      ctx.body = Readable.from(exportAll(store, query));
      return;
    }
    const items = await store.listAudit(query);
    const last = items.at(-1);
    ctx.body = {
      items,
      next_cursor: items.length === params.limit && last !== undefined ? String(last.seq) : null,
    };
  };

  return new Router<AuthorizedState>().get(
    '/audit',
    ...guard,
    auditTrail,
    authorize(authorizeDeps, 'audit:read'),
    readAudit,
  );
}
