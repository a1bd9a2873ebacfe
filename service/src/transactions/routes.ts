import Router from '@koa/router';
import type { Middleware } from 'koa';
import { authorize, type AuthorizeDeps, type AuthorizedState } from '../authz/authorize.js';
import { authorizeList } from '../authz/authorize-list.js';
import { requireNoBody } from '../http/empty-body.js';
import { ifMatch } from '../http/if-match.js';
import { jsonBody } from '../http/json-body.js';
import type { AccountStore } from '../store/account-store.js';
import type { TransactionStore } from '../store/transaction-store.js';
import { createTransaction } from './create-transaction.js';
import { decideTransaction } from './decide-transaction.js';
import { deleteTransaction } from './delete-transaction.js';
import { listTransactions } from './list-transactions.js';
import { loadTransaction } from './load-transaction.js';
import { proposeChanges } from './propose-changes.js';
import { proposeTransaction } from './propose-transaction.js';
import { readTransaction } from './read-transaction.js';
import { TRANSACTION_COLLECTION } from './resource.js';
import type { TransactionState } from './state.js';
import { updateTransaction } from './update-transaction.js';

/** What the transaction routes need. */
export interface TransactionRoutesDeps extends AuthorizeDeps {
  readonly store: TransactionStore & AccountStore;
  /** Middleware that runs first on every route: authentication and the per-client rate limit. */
  readonly guard: readonly Middleware<AuthorizedState>[];
}

const loaded = (state: TransactionState) => state.transaction;

/**
 * The router of /transactions: the guard first, then the `:id` loader, then each route a row of
 * named middleware — one `authorize` per decision, and nothing else asks the policy.
 */
export function transactionRoutes({
  store,
  guard,
  ...deps
}: TransactionRoutesDeps): Router<TransactionState> {
  const { now } = deps;
  const can = (action: Parameters<typeof authorize>[1]) => authorize(deps, action);
  const router = new Router<TransactionState>();
  router.use(...guard);
  router.param('id', loadTransaction(store));
  router
    .post(
      '/transactions',
      jsonBody,
      proposeTransaction(store, now),
      can('transactions:create'),
      createTransaction({ store, now, recordRefusal: deps.recordRefusal }),
    )
    .get(
      '/transactions',
      authorizeList(deps, 'transactions:list', TRANSACTION_COLLECTION),
      listTransactions(store),
    )
    .get('/transactions/:id', can('transactions:read'), readTransaction)
    .patch(
      '/transactions/:id',
      can('transactions:update'),
      jsonBody,
      proposeChanges,
      authorize(deps, 'transactions:update', { known: true }),
      ifMatch(true, loaded),
      updateTransaction(store, now),
    )
    .delete(
      '/transactions/:id',
      can('transactions:delete'),
      ifMatch(false, loaded),
      deleteTransaction(store, now),
    )
    .post(
      '/transactions/:id/approve',
      can('transactions:approve'),
      jsonBody,
      requireNoBody,
      decideTransaction('approved', { store, now, recordRefusal: deps.recordRefusal }),
    )
    .post(
      '/transactions/:id/reject',
      can('transactions:reject'),
      jsonBody,
      requireNoBody,
      decideTransaction('rejected', { store, now, recordRefusal: deps.recordRefusal }),
    );
  return router;
}
