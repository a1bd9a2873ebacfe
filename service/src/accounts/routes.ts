import Router from '@koa/router';
import type { Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import { auditEntry } from '../audit/audit-entry.js';
import { authorize, type AuthorizeDeps, type AuthorizedState } from '../authz/authorize.js';
import { redact } from '../authz/enforce.js';
import { authorizeList, type ListState } from '../authz/authorize-list.js';
import { NotFoundError, PreconditionFailedError } from '../errors.js';
import { requireNoBody } from '../http/empty-body.js';
import { idempotencyKeyOf, sendCreated } from '../http/idempotency.js';
import { jsonBody } from '../http/json-body.js';
import { validator } from '../http/validator.js';
import type { AccountStore } from '../store/account-store.js';
import { decodeCursor } from '../transactions/cursor.js';
import { etagOf } from '../transactions/model.js';
import { checkIfMatch } from '../transactions/preconditions.js';
import { DEFAULT_DEPARTMENT, type Account, type AccountStatus } from './model.js';
import { ACCOUNT_COLLECTION, accountResourceOf } from './resource.js';
import { accountIdSchema, accountListQuerySchema, openAccountSchema } from './schemas.js';

/** What the account routes need. */
export interface AccountRoutesDeps extends AuthorizeDeps {
  readonly store: AccountStore;
  /** Middleware that runs first on every route: authentication and the per-client rate limit. */
  readonly guard: readonly Middleware<AuthorizedState>[];
}

interface OpenBody {
  currency: string;
  owner?: string;
  department?: string;
}

interface ListQueryParams {
  limit: number;
  cursor?: string;
  status?: AccountStatus;
}

interface AccountState extends AuthorizedState {
  account?: Account;
  proposed?: Account;
}

const validateOpen = validator<OpenBody>('body', openAccountSchema);
const validateListQuery = validator<ListQueryParams>('query', accountListQuerySchema);
const ACCOUNT_ID = new RegExp(accountIdSchema.pattern);

/** Loads the account of `:id` and its policy attributes; an unknown id is a 404. */
function loadAccount(store: AccountStore): Middleware<AccountState> {
  return async function loadAccount(ctx, next) {
    const id = (ctx as unknown as { params: Record<string, string> }).params.id ?? '';
    const account = ACCOUNT_ID.test(id) ? await store.getAccount(id) : undefined;
    if (account === undefined) throw new NotFoundError();
    ctx.state.account = account;
    ctx.state.resource = accountResourceOf(account);
    await next();
  };
}

/** The account a POST /accounts proposes: the caller's own unless the body names a holder. */
function proposeAccount(now: () => number): Middleware<AccountState> {
  return async function proposeAccount(ctx, next) {
    const body = validateOpen(ctx.state.body ?? {});
    const claims = ctx.state.claims;
    if (claims === undefined) throw new Error('proposeAccount ran before authentication');
    const proposed: Account = {
      id: randomUUID(),
      owner: body.owner ?? claims.sub,
      department: body.department ?? claims.department ?? DEFAULT_DEPARTMENT,
      currency: body.currency,
      status: 'open',
      created_at: new Date(now()).toISOString(),
      version: 1,
    };
    ctx.state.proposed = proposed;
    ctx.state.resource = accountResourceOf(proposed);
    await next();
  };
}

function present(account: Account, paths: readonly string[] | undefined): Account {
  return redact(account, paths ?? []);
}

/** Builds the router of /accounts, each route a table row of named middleware. */
export function accountRoutes({ store, guard, ...authorizeDeps }: AccountRoutesDeps): Router<AccountState> {
  const { now } = authorizeDeps;

  const openAccount: Middleware<AccountState> = async function openAccount(ctx) {
    const { proposed, claims, redact: paths } = ctx.state;
    if (proposed === undefined || claims === undefined) throw new Error('openAccount ran without a proposal');
    const respond = (account: Account) => ({
      status: 201,
      body: present(account, paths),
      location: `/accounts/${account.id}`,
      etag: etagOf(account),
    });
    const idempotency = idempotencyKeyOf(ctx, claims, ctx.state.body);
    const audit = auditEntry(ctx.state, now(), {
      action: 'accounts:open',
      outcome: 'allowed',
      status: 201,
      changedFields: Object.keys(ctx.state.body as object),
    });
    const outcome = await store.openAccount(proposed, audit, idempotency, respond);
    if (outcome.kind === 'account_not_open') throw new Error('openAccount: the store refused a new account');
    sendCreated(ctx, outcome, respond, idempotency);
  };

  const listAccounts: Middleware<AccountState & ListState> = async function listAccounts(ctx) {
    const params = validateListQuery({ ...ctx.query });
    const query = {
      limit: params.limit,
      ...(params.cursor === undefined ? {} : { after: decodeCursor(params.cursor) }),
      status: params.status,
    };
    const page = await store.listAccounts(query, ctx.state.listFilter ?? []);
    ctx.state.page = {
      items: page.items,
      resources: page.items.map(accountResourceOf),
      hasMore: page.hasMore,
    };
  };

  const readAccount: Middleware<AccountState> = function readAccount(ctx) {
    const { account, redact: paths } = ctx.state;
    if (account === undefined) throw new Error('readAccount ran without an account');
    ctx.set('ETag', etagOf(account));
    ctx.body = present(account, paths);
  };

  const optionalIfMatch: Middleware<AccountState> = async function optionalIfMatch(ctx, next) {
    const { account } = ctx.state;
    if (account === undefined) throw new Error('optionalIfMatch ran without an account');
    checkIfMatch(ctx.get('If-Match'), account, false);
    await next();
  };

  function setStatus(status: AccountStatus): Middleware<AccountState> {
    const action = status === 'frozen' ? 'accounts:freeze' : 'accounts:unfreeze';
    return async function setAccountStatus(ctx) {
      const { account, redact: paths } = ctx.state;
      if (account === undefined) throw new Error('setAccountStatus ran without an account');
      const audit = auditEntry(ctx.state, now(), {
        action,
        outcome: 'allowed',
        status: 200,
        changedFields: ['status'],
      });
      const updated = await store.setAccountStatus(account.id, account.version, status, audit);
      if (updated === undefined) throw new PreconditionFailedError();
      ctx.set('ETag', etagOf(updated));
      ctx.body = present(updated, paths);
    };
  }

  const can = (action: Parameters<typeof authorize>[1]) => authorize(authorizeDeps, action);
  const load = loadAccount(store);
  const router = new Router<AccountState>();
  router
    .post('/accounts', ...guard, jsonBody, proposeAccount(now), can('accounts:open'), openAccount)
    .get(
      '/accounts',
      ...guard,
      authorizeList(authorizeDeps, 'accounts:list', ACCOUNT_COLLECTION),
      listAccounts,
    )
    .get('/accounts/:id', ...guard, load, can('accounts:read'), readAccount)
    .post(
      '/accounts/:id/freeze',
      ...guard,
      load,
      can('accounts:freeze'),
      jsonBody,
      requireNoBody,
      optionalIfMatch,
      setStatus('frozen'),
    )
    .post(
      '/accounts/:id/unfreeze',
      ...guard,
      load,
      can('accounts:unfreeze'),
      jsonBody,
      requireNoBody,
      optionalIfMatch,
      setStatus('open'),
    );
  return router;
}
