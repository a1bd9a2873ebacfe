import type { Account } from '../accounts/model.js';
import type { AuthorizedState } from '../authz/authorize.js';
import type { ChangesBody } from './schemas.js';
import type { Transaction } from './model.js';

/** What the transaction middleware leave for each other in `ctx.state`. */
export interface TransactionState extends AuthorizedState {
  /** The stored transaction of `:id` (the `id` param loader). */
  transaction?: Transaction;
  /** Its account, or the account a create names. */
  account?: Account;
  /** The transaction a create proposes. */
  proposed?: Transaction;
  /** The validated changes of a PATCH. */
  changes?: ChangesBody;
}
