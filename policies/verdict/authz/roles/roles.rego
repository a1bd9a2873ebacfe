# METADATA
# title: Roles
# description: |
#   Rules 2–7 and 10: what customers, staff roles and service clients may do, from the profiles
#   in data (policies/data/roles.yaml, service-clients.yaml). A caller with several roles gets
#   the union of their profiles.
package verdict.authz.roles

import data.verdict.authz.caller
import data.verdict.authz.hours
import data.verdict.authz.request

_config := data.verdict.config

# The caller's profiles, by name.
profiles["customer"] := _config.customer if caller.customer

profiles[role] := _config.roles[role] if some role in caller.roles

profiles["service_client"] := _config.service_clients[caller.claims.client_id] if caller.service_client

# Profiles that list the requested action.
listing contains name if {
	some name, profile in profiles
	input.action in profile.actions
}

# Profiles whose reach covers the transaction: own (the caller owns it), department (it belongs
# to the caller's department) or all. Without one transaction (the collection, the audit log)
# reach does not apply.
reaching contains name if {
	some name, profile in profiles
	profile.reach == "all"
}

reaching contains name if {
	some name, profile in profiles
	profile.reach == "own"
	input.resource.owner == caller.sub
}

reaching contains name if {
	some name, profile in profiles
	profile.reach == "department"
	input.resource.department == caller.department
}

reaching contains name if {
	some name, _ in profiles
	not request.one_transaction
}

_out_of_reach := {"own": "not_owner", "department": "other_department"}

# Why a profile that lists the action cannot take it here, as [profile, reason code] pairs.
shortfalls contains [name, _out_of_reach[profiles[name].reach]] if {
	some name in listing
	not name in reaching
}

# Rule 2: customers delete only while pending (data: pending_only).
shortfalls contains [name, "not_pending"] if {
	some name in listing
	input.action in object.get(profiles[name], "pending_only", [])
	not input.resource.status == "pending"
}

# Rule 4: approve and reject decide pending transactions only,
shortfalls contains [name, "not_pending"] if {
	some name in listing
	input.action in request.decisions
	not input.resource.status == "pending"
}

# up to the profile's approval limit in the transaction's currency,
shortfalls contains [name, "approval_limit_exceeded"] if {
	some name in listing
	input.action in request.decisions
	not name in _within_approval_limit
}

# in the business hours of the transaction's department.
shortfalls contains [name, "outside_business_hours"] if {
	some name in listing
	input.action in request.decisions
	not hours.open
}

_within_approval_limit contains name if {
	some name in listing
	limit := profiles[name].approval_limits[input.resource.currency]
	is_number(input.resource.amount_minor)
	input.resource.amount_minor <= limit
}

_short contains name if some [name, _] in shortfalls

# Profiles that permit the action on this resource.
granting contains name if {
	some name in listing
	not name in _short
}

# Why nothing permits the action (used only when `granting` is empty).
refusals contains "action_not_permitted" if count(listing) == 0

refusals contains code if some [_, code] in shortfalls

# Profiles through which the caller may read the transaction (visibility, redaction).
readers contains name if {
	some name in reaching
	"transactions:read" in profiles[name].actions
}

# Fields hidden from the caller: those every reading profile redacts.
redact contains path if {
	some name in readers
	some path in profiles[name].redact
	every other in readers {
		path in profiles[other].redact
	}
}

# For list_filter: one store clause per reach of a listing profile; `all` covers the others.
_list_reach contains profile.reach if {
	some profile in profiles
	"transactions:list" in profile.actions
}

_reach_clause["own"] := {"owner": caller.sub} if is_string(caller.sub)

_reach_clause["department"] := {"department": caller.department} if is_string(caller.department)

list_clauses := [{}] if "all" in _list_reach

list_clauses := [clause |
	some reach in ["department", "own"]
	reach in _list_reach
	clause := _reach_clause[reach]
] if not "all" in _list_reach
