import type { Middleware } from 'koa';
import type { ListState } from '../authz/authorize-list.js';
import { validator } from '../http/validator.js';
import type { AccountStore } from '../store/account-store.js';
import type { TransactionStore } from '../store/transaction-store.js';
import { decodeCursor } from './cursor.js';
import { resourceOf } from './resource.js';
import { listQuerySchema } from './schemas.js';

const validateListQuery = validator('query', listQuerySchema);

/**
 * Reads the page the query asks for within the policy's list filter, with each row's policy
 * attributes; `authorizeList` checks the rows again and answers.
 */
export function listTransactions(store: TransactionStore & AccountStore): Middleware<ListState> {
  return async function listTransactions(ctx) {
    const { cursor, ...filters } = validateListQuery({ ...ctx.query });
    const query = { ...filters, ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }) };
    const page = await store.list(query, ctx.state.listFilter ?? []);
    const accounts = await store.getAccounts(page.items.map((item) => item.account_id));
    ctx.state.page = {
      items: page.items,
      resources: page.items.map((item) => resourceOf(item, accounts.get(item.account_id))),
      hasMore: page.hasMore,
    };
  };
}
