# METADATA
# title: Separation of duties
# description: Rules 4, 6 and 10 — on top of every role, whatever the profiles in data say.
package verdict.authz.duties

import data.verdict.authz.caller
import data.verdict.authz.request

# The reason codes of the duties an approval or rejection of the transaction would break.
violations(transaction) := {code |
	input.action in request.approval_actions
	some code in ["self_approval", "admin_approval"]
	_violated(code, transaction)
}

# Nobody approves or rejects their own transaction.
_violated("self_approval", transaction) if transaction.owner == caller.sub

# Admins never approve or reject, whatever other roles they hold.
_violated("admin_approval", _) if "admin" in caller.roles
