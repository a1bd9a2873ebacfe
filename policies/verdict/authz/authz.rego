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
# description: |
#   allow, visible, reasons, redact and, when step-up would allow, step_up, on input.resource
#   (on null when the input has none, as batch decides a null element).
# entrypoint: true
decision := decision_for(_resource)

default _resource := null

_resource := input.resource

# METADATA
# title: Batch
# description: One decision per resource of input.resources, in order, for one subject and action.
# entrypoint: true
batch := {"decisions": [decision_for(resource) | some resource in input.resources]}

# METADATA
# title: List filter
# description: |
#   Store conditions for transactions:list or accounts:list: the store ORs the clauses and ANDs
#   the fields of one; a row matches a clause exactly when listing it would be allowed. No
#   clause, no rows.
# entrypoint: true
list_filter := {"any_of": _clauses}

# METADATA
# title: Decision on a resource
# description: |
#   The decision on one resource for the input's subject, action and environment; `decision` and
#   each element of `batch`. What the caller's profiles make of the resource and the agent limits
#   it exceeds are worked out once.
decision_for(resource) := object.union(
	{
		"allow": allow,
		"visible": _visible(resource, profiles, exceeded),
		"reasons": _reasons(codes),
		"redact": _redact(resource, profiles, allow),
	},
	_step_up(codes),
) if {
	profiles := roles.assessment(resource)
	exceeded := agents.exceeded(resource)
	codes := _reason_codes(resource, profiles, exceeded)
	allow := _allowed(profiles, codes)
}

# Allowed when some profile grants the action and there is no reason to deny.
_allowed(profiles, codes) if {
	count(profiles.granting) > 0
	count(codes) == 0
} else := false

default _visible(_, _, _) := false

# A collection, a proposed account and the audit log hide nothing.
_visible(resource, _, _) if request.collection(resource)

_visible(_, _, _) if request.account_proposal

_visible(_, _, _) if request.audit_log

# An existing transaction is visible exactly when the caller may read it — scopes aside, agent
# limits included. A caller who may not read it gets 404, so ids cannot be probed.
_visible(resource, profiles, exceeded) if {
	request.existing_transaction(resource)
	count(profiles.readers) > 0
	count(exceeded) == 0
}

# So is an existing account.
_visible(resource, profiles, _) if {
	request.existing_account(resource)
	count(profiles.readers) > 0
}

# A proposed transaction is visible exactly when the caller may see its account: one created on
# an account the caller may not see answers as one on an account that does not exist.
_visible(transaction, _, _) if {
	request.transaction_proposal
	count(roles.account_viewers(transaction)) > 0
}

# The reasons to deny; step-up is asked for only when it is all that stands in the way.
_reason_codes(resource, profiles, exceeded) := codes if {
	codes := _codes_besides_step_up(resource, profiles, exceeded)
	count(codes) > 0
} else := {"step_up_required"} if {
	stepup.required(resource)
	not stepup.satisfied
} else := set()

_codes_besides_step_up(resource, profiles, exceeded) := {code |
	some codes in [
		_request_codes(resource),
		_role_refusals(profiles),
		duties.violations(resource),
		accounts.violations(resource),
		exceeded,
	]
	some code in codes
}

# What is wrong with the request itself: the action, the scope, the resource's type; and a
# public-client agent's create above the cap.
_request_codes(resource) := {code |
	some code in ["unknown_action", "insufficient_scope", "unsupported_resource", "agent_create_limit"]
	_denies(code, resource)
}

_denies("unknown_action", _) if not scopes.known_action

_denies("insufficient_scope", _) if scopes.missing

_denies("unsupported_resource", resource) if request.mismatched_resource(resource)

_denies("agent_create_limit", transaction) if agents.create_limit_exceeded(transaction)

# Only when no profile grants a known action, the reasons each one gives. Separation of duties,
# account status and agent limits apply on top of every role.
_role_refusals(profiles) := profiles.refusals if {
	scopes.known_action
	count(profiles.granting) == 0
} else := set()

# A code without a message keeps the code as its message: a reason is never dropped.
_reasons(codes) := [reason |
	some code in sort(codes)
	message := object.get(reasons.messages, code, code)
	reason := object.union({"code": code, "message": message}, object.get(_details, code, {}))
]

# insufficient_scope names the scope (RFC 6750 challenge).
_details["insufficient_scope"] := {"scope": scopes.missing}

# Redacted: what every profile that reads the transaction redacts, when the caller is allowed.
_redact(resource, profiles, allowed) := sort(roles.redacted_fields(profiles.readers)) if {
	allowed
	request.one_transaction(resource)
} else := []

# The challenge, when step-up is all that stands in the way (RFC 9470).
default _step_up(_) := {}

_step_up(codes) := {"step_up": stepup.challenge} if "step_up_required" in codes

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
