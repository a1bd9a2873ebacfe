import type { Middleware } from 'koa';
import { encodeCursor, type Cursor } from '../transactions/cursor.js';
import {
  authorize,
  policyCall,
  requestFacts,
  type AuthorizeDeps,
  type AuthorizedState,
} from './authorize.js';
import type { ListFilterClause, ResourceAttributes } from './decision.js';
import { redact } from './enforce.js';
import { environmentOf, subjectOf } from './policy-input.js';

/** The page a list handler read, with the policy's view of each row, in order. */
export interface ListedPage {
  readonly items: readonly Cursor[];
  readonly resources: readonly ResourceAttributes[];
  readonly hasMore: boolean;
}

/** What `authorizeList` gives the handler (the store conditions) and takes back (the page). */
export interface ListState extends AuthorizedState {
  /** The clauses the store ORs (ANDing the fields of one): only rows a read would allow. */
  listFilter?: readonly ListFilterClause[];
  page?: ListedPage;
}

/**
 * The authorization of a list, like `authorize` for one resource: the collection's own decision,
 * then `list_filter` for the handler's query; after the handler, `batch` checks every row of its
 * page again, drops what is not allowed and redacts the rest, and the answer is written here. The
 * handler never asks the policy; every call fails closed and is counted and audited.
 */
export function authorizeList(
  deps: AuthorizeDeps,
  action: 'transactions:list' | 'accounts:list',
  collection: ResourceAttributes,
): Middleware<ListState> {
  const gate = authorize(deps, action);
  const { authorizer, now } = deps;
  return async function authorizeList(ctx, next) {
    const { claims } = ctx.state;
    if (claims === undefined) throw new Error(`authorizeList(${action}) ran before authentication`);
    const subject = subjectOf(claims);
    const environment = environmentOf(requestFacts(ctx.state, now));
    ctx.state.resource = collection;
    await gate(ctx, async () => {
      const filter = await policyCall(deps, ctx.state, action, () =>
        authorizer.listFilter({ subject, action, environment }),
      );
      ctx.state.listFilter = filter.anyOf;
      await next();
      const { page } = ctx.state;
      if (page === undefined) throw new Error(`the ${action} handler left no page`);
      const { decisions } = await policyCall(deps, ctx.state, action, () =>
        authorizer.decideBatch({ subject, action, resources: page.resources, environment }),
      );
      const items = page.items.flatMap((item, index) => {
        const decision = decisions[index];
        return decision?.allow === true ? [redact(item, decision.redact)] : [];
      });
      const last = page.items.at(-1);
      ctx.body = { items, next_cursor: page.hasMore && last !== undefined ? encodeCursor(last) : null };
    });
  };
}
