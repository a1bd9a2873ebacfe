# METADATA
# title: Verdict authorization
# description: |
#   The decision on a request to the accounts and transactions API (ARCHITECTURE.md, Contracts,
#   and policies/README.md). Default deny: a request is allowed when some profile of the caller
#   grants it and nothing stands in the way; every deny says why.
package verdict.authz

import data.verdict.authz.accounts
import data.verdict.authz.agents
import data.verdict.authz.duties
import data.verdict.authz.reasons
import data.verdict.authz.request
import data.verdict.authz.roles
import data.verdict.authz.scopes
import data.verdict.authz.stepup

# METADATA
# title: Decision
# description: allow, visible, reasons, redact and, when step-up would allow, step_up.
# entrypoint: true
decision := object.union(
	{"allow": allow, "visible": visible, "reasons": _reasons, "redact": _redact},
	_step_up,
)

# METADATA
# title: Batch
# description: One decision per resource of input.resources, in order, for one subject and action.
# entrypoint: true
batch := {"decisions": [d |
	some resource in input.resources

	# regal ignore:with-outside-test-context
	d := decision with input.resource as resource
]}

# METADATA
# title: List filter
# description: |
#   Store conditions for transactions:list or accounts:list: the store ORs the clauses and ANDs
#   the fields of one; a row matches a clause exactly when listing it would be allowed. No
#   clause, no rows.
# entrypoint: true
list_filter := {"any_of": _clauses}

default allow := false

# Rule 10: allowed when some profile grants the action and there is no reason to deny.
allow if {
	count(roles.granting) > 0
	count(_reason_codes) == 0
}

default visible := false

# A collection, a proposed account and the audit log hide nothing.
visible if request.collection

visible if request.account_proposal

visible if request.audit_log

# Rule 10: an existing transaction is visible exactly when the caller may read it — scopes aside,
# agent limits included. A caller who may not read it gets 404, so ids cannot be probed.
visible if {
	request.existing_transaction
	count(roles.readers) > 0
	count(agents.exceeded) == 0
}

# Rule 11: so is an existing account.
visible if {
	request.existing_account
	count(roles.readers) > 0
}

# Rule 11: a proposed transaction is visible exactly when the caller may see its account: one
# created on an account the caller may not see answers as one on an account that does not exist.
visible if {
	request.transaction_proposal
	count(roles.account_viewers) > 0
}

# Rule 1
_codes_besides_step_up contains "unknown_action" if not scopes.known_action

_codes_besides_step_up contains "insufficient_scope" if scopes.missing

_codes_besides_step_up contains "unsupported_resource" if request.mismatched_resource

# Rules 2–7 and 11: only when no profile grants the action, the reasons each one gives.
_codes_besides_step_up contains code if {
	scopes.known_action
	count(roles.granting) == 0
	some code in roles.refusals
}

# Rules 4, 6, 10: separation of duties, on top of every role.
_codes_besides_step_up contains code if some code in duties.violations

# Rule 11: account status and departments, on top of every role.
_codes_besides_step_up contains code if some code in accounts.violations

# Rule 8: agent limits, on top of every role.
_codes_besides_step_up contains code if some code in agents.exceeded

_codes_besides_step_up contains "agent_create_limit" if agents.create_limit_exceeded

# Rule 9: step-up is asked for only when it is all that stands in the way.
_step_up_missing if {
	count(_codes_besides_step_up) == 0
	stepup.required
	not stepup.satisfied
}

_reason_codes contains code if some code in _codes_besides_step_up

_reason_codes contains "step_up_required" if _step_up_missing

# A code without a message keeps the code as its message: a reason is never dropped.
_reasons := [reason |
	some code in sort(_reason_codes)
	message := object.get(reasons.messages, code, code)
	reason := object.union({"code": code, "message": message}, object.get(_details, code, {}))
]

# insufficient_scope names the scope (RFC 6750 challenge).
_details["insufficient_scope"] := {"scope": scopes.missing}

default _redact := []

_redact := sort(roles.redacted_fields) if {
	allow
	request.one_transaction
}

default _step_up := {}

_step_up := {"step_up": stepup.challenge} if _step_up_missing

default _clauses := []

_clauses := [object.union(clause, agents.list_conditions) | some clause in roles.list_clauses] if {
	input.action == "transactions:list"
	not scopes.missing
	not agents.unfilterable
}

# Agent limits are about transactions: an account row carries nothing they compare.
_clauses := roles.list_clauses if {
	input.action == "accounts:list"
	not scopes.missing
}
