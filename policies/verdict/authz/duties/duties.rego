# METADATA
# title: Separation of duties
# description: Rules 4, 6 and 10 — on top of every role, whatever the profiles in data say.
package verdict.authz.duties

import data.verdict.authz.caller
import data.verdict.authz.request

# Nobody approves or rejects their own transaction.
violations contains "self_approval" if {
	input.action in request.approval_actions
	input.resource.owner == caller.sub
}

# Admins never approve or reject, whatever other roles they hold.
violations contains "admin_approval" if {
	input.action in request.approval_actions
	"admin" in caller.roles
}
