import type { Middleware } from 'koa';
import type { ListState } from '../authz/authorize-list.js';
import { validator } from '../http/validator.js';
import type { AccountStore } from '../store/account-store.js';
import { decodeCursor } from '../transactions/cursor.js';
import { accountResourceOf } from './resource.js';
import { accountListQuerySchema } from './schemas.js';

const validateListQuery = validator('query', accountListQuerySchema);

/** Reads the page of accounts within the policy's list filter; `authorizeList` checks it and answers. */
export function listAccounts(store: AccountStore): Middleware<ListState> {
  return async function listAccounts(ctx) {
    const { cursor, ...filters } = validateListQuery({ ...ctx.query });
    const query = { ...filters, ...(cursor === undefined ? {} : { after: decodeCursor(cursor) }) };
    const page = await store.listAccounts(query, ctx.state.listFilter ?? []);
    ctx.state.page = {
      items: page.items,
      resources: page.items.map(accountResourceOf),
      hasMore: page.hasMore,
    };
  };
}
