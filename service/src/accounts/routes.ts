import Router from '@koa/router';
import type { Middleware } from 'koa';
import { authorize, type AuthorizeDeps, type AuthorizedState } from '../authz/authorize.js';
import { authorizeList } from '../authz/authorize-list.js';
import { requireNoBody } from '../http/empty-body.js';
import { ifMatch } from '../http/if-match.js';
import { jsonBody } from '../http/json-body.js';
import type { AccountStore } from '../store/account-store.js';
import { listAccounts } from './list-accounts.js';
import { loadAccount } from './load-account.js';
import { openAccount } from './open-account.js';
import { proposeAccount } from './propose-account.js';
import { readAccount } from './read-account.js';
import { ACCOUNT_COLLECTION } from './resource.js';
import { setAccountStatus } from './set-account-status.js';
import type { AccountState } from './state.js';

/** What the account routes need. */
export interface AccountRoutesDeps extends AuthorizeDeps {
  readonly store: AccountStore;
  /** Middleware that runs first on every route: authentication and the per-client rate limit. */
  readonly guard: readonly Middleware<AuthorizedState>[];
}

const loaded = (state: AccountState) => state.account;

/** The router of /accounts: the guard, the `:id` loader, then each route a row of named middleware. */
export function accountRoutes({ store, guard, ...deps }: AccountRoutesDeps): Router<AccountState> {
  const { now } = deps;
  const can = (action: Parameters<typeof authorize>[1]) => authorize(deps, action);
  const router = new Router<AccountState>();
  router.use(...guard);
  router.param('id', loadAccount(store));
  router
    .post('/accounts', jsonBody, proposeAccount(now), can('accounts:open'), openAccount(store, now))
    .get('/accounts', authorizeList(deps, 'accounts:list', ACCOUNT_COLLECTION), listAccounts(store))
    .get('/accounts/:id', can('accounts:read'), readAccount)
    .post(
      '/accounts/:id/freeze',
      can('accounts:freeze'),
      jsonBody,
      requireNoBody,
      ifMatch(false, loaded),
      setAccountStatus('frozen', store, now),
    )
    .post(
      '/accounts/:id/unfreeze',
      can('accounts:unfreeze'),
      jsonBody,
      requireNoBody,
      ifMatch(false, loaded),
      setAccountStatus('open', store, now),
    );
  return router;
}
