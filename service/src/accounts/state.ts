import type { AuthorizedState } from '../authz/authorize.js';
import type { Account } from './model.js';

/** What the account middleware leave for each other in `ctx.state`. */
export interface AccountState extends AuthorizedState {
  /** The stored account of `:id` (the `id` param loader). */
  account?: Account;
  /** The account a POST /accounts proposes. */
  proposed?: Account;
}
