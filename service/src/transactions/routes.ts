import Router from '@koa/router';
import type { Middleware } from 'koa';
import { randomUUID } from 'node:crypto';
import type { Account } from '../accounts/model.js';
import { auditEntry } from '../audit/audit-entry.js';
import { authorize, type AuthorizeDeps, type AuthorizedState } from '../authz/authorize.js';
import { redact } from '../authz/enforce.js';
import { authorizeList, type ListState } from '../authz/authorize-list.js';
import { ForbiddenError, NotFoundError, PreconditionFailedError } from '../errors.js';
import { idempotencyKeyOf, sendCreated } from '../http/idempotency.js';
import { requireNoBody } from '../http/empty-body.js';
import { jsonBody } from '../http/json-body.js';
import { validator } from '../http/validator.js';
import type { AccountStore } from '../store/account-store.js';
import type { ListQuery, TransactionStore } from '../store/transaction-store.js';
import { decodeCursor } from './cursor.js';
import { etagOf, type Category, type Status, type Transaction } from './model.js';
import { checkIfMatch } from './preconditions.js';
import { resourceOf, TRANSACTION_COLLECTION } from './resource.js';
import { createTransactionSchema, listQuerySchema, patchTransactionSchema } from './schemas.js';

/** What the transaction routes need. */
export interface TransactionRoutesDeps extends AuthorizeDeps {
  readonly store: TransactionStore & AccountStore;
  /** Middleware that runs first on every route: authentication and the per-client rate limit. */
  readonly guard: readonly Middleware<AuthorizedState>[];
}

interface CreateBody {
  account_id: string;
  amount_minor: number;
  currency: string;
  category: Category;
  counterparty: { name: string; account: string };
  note?: string | null;
}

interface PatchBody {
  note?: string | null;
  category?: Category;
}

interface ListQueryParams {
  limit: number;
  cursor?: string;
  account_id?: string;
  category?: Category;
  status?: Status;
  since?: string;
  until?: string;
  min_amount?: number;
  max_amount?: number;
}

interface TransactionState extends AuthorizedState {
  transaction?: Transaction;
  account?: Account;
  proposed?: Transaction;
  changes?: PatchBody;
}

const validateCreate = validator<CreateBody>('body', createTransactionSchema);
const validatePatch = validator<PatchBody>('body', patchTransactionSchema);
const validateListQuery = validator<ListQueryParams>('query', listQuerySchema);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function present(transaction: Transaction, paths: readonly string[] | undefined): Transaction {
  return redact(transaction, paths ?? []);
}

/** Builds the router of /transactions, each route a table row of named middleware. */
export function transactionRoutes({
  store,
  guard,
  ...authorizeDeps
}: TransactionRoutesDeps): Router<TransactionState> {
  const { now } = authorizeDeps;
  const iso = (): string => new Date(now()).toISOString();

  const loadTransaction: Middleware<TransactionState> = async function loadTransaction(ctx, next) {
    const id = (ctx as unknown as { params: Record<string, string> }).params.id ?? '';
    const transaction = UUID.test(id) ? await store.get(id.toLowerCase()) : undefined;
    if (transaction === undefined) throw new NotFoundError();
    const account = await store.getAccount(transaction.account_id);
    ctx.state.transaction = transaction;
    ctx.state.account = account;
    ctx.state.resource = resourceOf(transaction, account);
    await next();
  };

  const proposeTransaction: Middleware<TransactionState> = async function proposeTransaction(ctx, next) {
    const body = validateCreate(ctx.state.body ?? {});
    const claims = ctx.state.claims;
    if (claims === undefined) throw new Error('proposeTransaction ran before authentication');
    // An account that does not exist answers exactly as one the caller may not use (the policy's
    // not-visible 404), so account ids cannot be probed.
    const account = await store.getAccount(body.account_id);
    if (account === undefined) throw new NotFoundError();
    const at = iso();
    // A transaction belongs to its account's holder and branch, whoever creates it.
    const proposed: Transaction = {
      id: randomUUID(),
      owner: account.owner,
      account_id: account.id,
      amount_minor: body.amount_minor,
      currency: body.currency,
      category: body.category,
      counterparty: { name: body.counterparty.name, account: body.counterparty.account },
      note: body.note ?? null,
      status: 'pending',
      department: account.department,
      created_at: at,
      updated_at: at,
      version: 1,
    };
    ctx.state.proposed = proposed;
    ctx.state.account = account;
    ctx.state.resource = resourceOf(proposed, account);
    await next();
  };

  const createTransaction: Middleware<TransactionState> = async function createTransaction(ctx) {
    const { proposed, claims, redact: paths } = ctx.state;
    if (proposed === undefined || claims === undefined)
      throw new Error('createTransaction ran without a proposal');
    const respond = (transaction: Transaction) => ({
      status: 201,
      body: present(transaction, paths),
      location: `/transactions/${transaction.id}`,
      etag: etagOf(transaction),
    });
    const idempotency = idempotencyKeyOf(ctx, claims, ctx.state.body);
    const audit = auditEntry(ctx.state, now(), {
      action: 'transactions:create',
      outcome: 'allowed',
      status: 201,
      changedFields: Object.keys(ctx.state.body as object),
    });
    const outcome = await store.create(proposed, audit, idempotency, respond);
    if (outcome.kind === 'account_not_open') {
      // Frozen between the decision and the write: refused as the policy refuses a frozen account.
      const reasons = ['account_not_open'];
      await authorizeDeps.recordDenial(
        auditEntry(ctx.state, now(), {
          action: 'transactions:create',
          outcome: 'denied',
          status: 403,
          reasons,
        }),
      );
      throw new ForbiddenError(reasons);
    }
    sendCreated(ctx, outcome, respond, idempotency);
  };

  const listTransactions: Middleware<TransactionState & ListState> = async function listTransactions(ctx) {
    const params = validateListQuery({ ...ctx.query });
    const query: ListQuery = {
      limit: params.limit,
      ...(params.cursor === undefined ? {} : { after: decodeCursor(params.cursor) }),
      account_id: params.account_id,
      category: params.category,
      status: params.status,
      since: params.since,
      until: params.until,
      min_amount: params.min_amount,
      max_amount: params.max_amount,
    };
    const { listFilter = [] } = ctx.state;
    const page = await store.list(query, listFilter);
    const accounts = await store.getAccounts(page.items.map((item) => item.account_id));
    ctx.state.page = {
      items: page.items,
      resources: page.items.map((item) => resourceOf(item, accounts.get(item.account_id))),
      hasMore: page.hasMore,
    };
  };

  const readTransaction: Middleware<TransactionState> = function readTransaction(ctx) {
    const { transaction, redact: paths } = ctx.state;
    if (transaction === undefined) throw new Error('readTransaction ran without a transaction');
    ctx.set('ETag', etagOf(transaction));
    ctx.body = present(transaction, paths);
  };

  const validateChanges: Middleware<TransactionState> = async function validateChanges(ctx, next) {
    ctx.state.changes = validatePatch(ctx.state.body ?? {});
    await next();
  };

  // The policy decides an update twice: on the transaction as it is (before the body is read, so a
  // hidden id answers 404 whatever the body) and as it would be after the change.
  const proposeChanges: Middleware<TransactionState> = async function proposeChanges(ctx, next) {
    const { transaction, changes } = ctx.state;
    if (transaction === undefined || changes === undefined)
      throw new Error('proposeChanges ran without changes');
    ctx.state.resource = resourceOf({ ...transaction, ...changes }, ctx.state.account);
    await next();
  };

  const requireIfMatch: Middleware<TransactionState> = async function requireIfMatch(ctx, next) {
    const { transaction } = ctx.state;
    if (transaction === undefined) throw new Error('requireIfMatch ran without a transaction');
    checkIfMatch(ctx.get('If-Match'), transaction, true);
    await next();
  };

  const optionalIfMatch: Middleware<TransactionState> = async function optionalIfMatch(ctx, next) {
    const { transaction } = ctx.state;
    if (transaction === undefined) throw new Error('optionalIfMatch ran without a transaction');
    checkIfMatch(ctx.get('If-Match'), transaction, false);
    await next();
  };

  const updateTransaction: Middleware<TransactionState> = async function updateTransaction(ctx) {
    const { transaction, changes, redact: paths } = ctx.state;
    if (transaction === undefined || changes === undefined)
      throw new Error('updateTransaction ran without changes');
    const audit = auditEntry(ctx.state, now(), {
      action: 'transactions:update',
      outcome: 'allowed',
      status: 200,
      changedFields: Object.keys(changes),
    });
    const updated = await store.update(transaction.id, transaction.version, changes, iso(), audit);
    if (updated === undefined) throw new PreconditionFailedError();
    ctx.set('ETag', etagOf(updated));
    ctx.body = present(updated, paths);
  };

  const deleteTransaction: Middleware<TransactionState> = async function deleteTransaction(ctx) {
    const { transaction } = ctx.state;
    if (transaction === undefined) throw new Error('deleteTransaction ran without a transaction');
    const audit = auditEntry(ctx.state, now(), {
      action: 'transactions:delete',
      outcome: 'allowed',
      status: 204,
    });
    if (!(await store.delete(transaction.id, transaction.version, audit)))
      throw new PreconditionFailedError();
    ctx.status = 204;
  };

  function decideTransaction(status: 'approved' | 'rejected'): Middleware<TransactionState> {
    return async function decideTransaction(ctx) {
      const { transaction, redact: paths } = ctx.state;
      if (transaction === undefined) throw new Error('decideTransaction ran without a transaction');
      const action = status === 'approved' ? 'transactions:approve' : 'transactions:reject';
      // The policy already requires `pending`; this guards the store against a policy that does not.
      if (transaction.status !== 'pending') {
        const reasons = ['not_pending'];
        await authorizeDeps.recordDenial(
          auditEntry(ctx.state, now(), { action, outcome: 'denied', status: 403, reasons }),
        );
        throw new ForbiddenError(reasons);
      }
      const audit = auditEntry(ctx.state, now(), {
        action,
        outcome: 'allowed',
        status: 200,
        changedFields: ['status'],
      });
      const updated = await store.setStatus(transaction.id, transaction.version, status, iso(), audit);
      if (updated === undefined) throw new PreconditionFailedError();
      ctx.set('ETag', etagOf(updated));
      ctx.body = present(updated, paths);
    };
  }

  const can = (action: Parameters<typeof authorize>[1]) => authorize(authorizeDeps, action);
  const router = new Router<TransactionState>();
  router
    .post(
      '/transactions',
      ...guard,
      jsonBody,
      proposeTransaction,
      can('transactions:create'),
      createTransaction,
    )
    .get(
      '/transactions',
      ...guard,
      authorizeList(authorizeDeps, 'transactions:list', TRANSACTION_COLLECTION),
      listTransactions,
    )
    .get('/transactions/:id', ...guard, loadTransaction, can('transactions:read'), readTransaction)
    .patch(
      '/transactions/:id',
      ...guard,
      loadTransaction,
      can('transactions:update'),
      jsonBody,
      validateChanges,
      proposeChanges,
      authorize(authorizeDeps, 'transactions:update', { known: true }),
      requireIfMatch,
      updateTransaction,
    )
    .delete(
      '/transactions/:id',
      ...guard,
      loadTransaction,
      can('transactions:delete'),
      optionalIfMatch,
      deleteTransaction,
    )
    .post(
      '/transactions/:id/approve',
      ...guard,
      loadTransaction,
      can('transactions:approve'),
      jsonBody,
      requireNoBody,
      decideTransaction('approved'),
    )
    .post(
      '/transactions/:id/reject',
      ...guard,
      loadTransaction,
      can('transactions:reject'),
      jsonBody,
      requireNoBody,
      decideTransaction('rejected'),
    );
  return router;
}
