import type { Page } from '../transactions/store.js';
import { policyCall, requestFacts, type AuthorizeDeps, type AuthorizedState } from './authorize.js';
import type { ListFilterClause, ResourceAttributes } from './decision.js';
import { redact } from './enforce.js';
import { environmentOf } from './policy-input.js';

/** How one list reads its rows and describes them to the policy. */
export interface PolicyPageSource<T> {
  readonly action: 'transactions:list' | 'accounts:list';
  /** The rows of the page that match any of the policy's clauses. */
  readonly query: (anyOf: readonly ListFilterClause[]) => Promise<Page<T>>;
  /** The policy's view of each row, in order. */
  readonly resources: (items: readonly T[]) => Promise<readonly ResourceAttributes[]>;
}

/** The allowed rows of a page, redacted, and whether the store has more after its last row. */
export interface PolicyPage<T> {
  readonly items: readonly T[];
  readonly last: T | undefined;
  readonly hasMore: boolean;
}

/**
 * A page of a list as the policy allows it: `list_filter` becomes the store's conditions, then
 * `batch` checks every row of the page again and gives its redactions. Both calls fail closed and
 * are counted and audited like every decision.
 */
export async function policyPage<T extends object>(
  deps: AuthorizeDeps,
  state: AuthorizedState,
  source: PolicyPageSource<T>,
): Promise<PolicyPage<T>> {
  const { claims } = state;
  if (claims === undefined) throw new Error(`policyPage(${source.action}) ran before authentication`);
  const { authorizer, now } = deps;
  const environment = environmentOf(requestFacts(state, now));
  const subject = { claims };
  const filter = await policyCall(deps, state, source.action, () =>
    authorizer.listFilter({ subject, action: source.action, environment }),
  );
  const page = await source.query(filter.anyOf);
  const resources = await source.resources(page.items);
  const { decisions } = await policyCall(deps, state, source.action, () =>
    authorizer.decideBatch({ subject, action: source.action, resources, environment }),
  );
  const items = page.items.flatMap((item, index) => {
    const decision = decisions[index];
    return decision?.allow === true ? [redact(item, decision.redact)] : [];
  });
  return { items, last: page.items.at(-1), hasMore: page.hasMore };
}
