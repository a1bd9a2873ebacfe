# METADATA
# title: Separation of duties
# description: |
#   On top of every role, whatever the profiles in data say: nobody approves or rejects their own
#   transaction, and admins never approve or reject (policies/README.md, rules 4, 6 and 10).
package verdict.authz.duties

import data.verdict.authz.caller
import data.verdict.authz.request

# METADATA
# title: Violations
# description: The reason codes of the duties that approving or rejecting the transaction breaks.
violations(transaction) := {code |
	input.action in request.approval_actions
	some code in ["self_approval", "admin_approval"]
	_violated(code, transaction)
}

# Nobody approves or rejects their own transaction.
_violated("self_approval", transaction) if transaction.owner == caller.sub

# Admins never approve or reject, whatever other roles they hold.
_violated("admin_approval", _) if "admin" in caller.roles
