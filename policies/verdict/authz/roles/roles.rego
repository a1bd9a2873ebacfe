# METADATA
# title: Roles
# description: |
#   What customers, staff roles and service clients may do with transactions and accounts, from
#   the profiles in data (policies/data/roles.yaml, service-clients.yaml; policies/README.md,
#   rules 2–7, 10 and 11). A caller with several roles gets the union of their profiles.
package verdict.authz.roles

import data.verdict.authz.caller
import data.verdict.authz.hours
import data.verdict.authz.request
import data.verdict.config

# METADATA
# title: Profiles
# description: The caller's profiles from data, by name (customer, a role, service_client).
# scope: document
profiles["customer"] := config.customer if caller.customer

profiles[role] := config.roles[role] if some role in caller.roles

profiles["service_client"] := config.service_clients[caller.claims.client_id] if caller.service_client

# METADATA
# title: Profiles with the action
# description: The caller's profiles that list the requested action.
profiles_with_action contains name if {
	some name, profile in profiles
	input.action in profile.actions
}

# METADATA
# title: Assessment
# description: |
#   What the caller's profiles make of one resource, worked out once per resource:
#   `granting`, the profiles that permit the action on it; `refusals`, why none does, as reason
#   codes (read only when none does); `readers`, the profiles through which the caller may read
#   it (visibility, redaction).
assessment(resource) := {
	"granting": {name |
		some name in profiles_with_action
		name in reached
		not name in refused
	},
	"refusals": _refusal_codes(profile_refusals),
	"readers": {name |
		read_action := _read_action[request.resource_type(resource)]
		some name in reached
		read_action in profiles[name].actions
	},
} if {
	reached := reaching(resource)
	profile_refusals := _profile_refusals(resource, reached)
	refused := {name | some [name, _] in profile_refusals}
}

# Whether a profile's reach covers a transaction or an account: own (the caller owns it),
# department (it belongs to the caller's department) or all.
_reaches(profile, _) if profile.reach == "all"

_reaches(profile, target) if {
	profile.reach == "own"
	target.owner == caller.sub
}

_reaches(profile, target) if {
	profile.reach == "department"
	target.department == caller.department
}

# METADATA
# title: Reaching profiles
# description: |
#   The profiles whose reach covers the resource. A proposed transaction must be reached together
#   with its account (the service gives it the account's owner and department; without an
#   account it is reached by no one). Without one resource (a collection, the audit log) reach
#   does not apply: every profile.
reaching(resource) := {name |
	some name, profile in profiles
	_reaches(profile, resource)
	_reaches(profile, _proposal_account(resource))
} if {
	request.transaction_proposal
} else := {name | some name, _ in profiles} if {
	not request.one_resource(resource)
} else := {name |
	some name, profile in profiles
	_reaches(profile, resource)
}

# The account of a proposed transaction, when it has one.
_proposal_account(transaction) := transaction.account if is_object(transaction.account)

# Why each profile that lists the action cannot take it on the resource, as [profile, reason
# code] pairs.
_profile_refusals(resource, reached) := {[name, code] |
	some name in profiles_with_action
	some codes in [
		_out_of_reach(name, reached),
		_unmet_conditions(profiles[name], resource),
		approval_codes,
	]
	some code in codes
} if {
	approval_codes := _approval_refusals(resource)
}

_out_of_reach(name, reached) := {code |
	not name in reached
	code := _out_of_reach_code[profiles[name].reach]
}

_out_of_reach_code := {"own": "not_owner", "department": "other_department"}

# What a profile's own conditions in data forbid here.
_unmet_conditions(profile, resource) := {code |
	some code in ["not_pending", "other_department", "approval_limit_exceeded"]
	_unmet(code, profile, resource)
}

# Customers delete only while pending (data: pending_only).
_unmet("not_pending", profile, transaction) if {
	input.action in object.get(profile, "pending_only", [])
	not transaction.status == "pending"
}

# Customers open accounts in their home department only (data: home_department_only).
_unmet("other_department", profile, account) if {
	input.action in object.get(profile, "home_department_only", [])
	not account.department == caller.home_department
}

# Approve and reject go up to the profile's approval limit in the transaction's currency.
_unmet("approval_limit_exceeded", profile, transaction) if {
	input.action in request.approval_actions
	not _within_approval_limit(profile, transaction)
}

_within_approval_limit(profile, transaction) if {
	is_number(transaction.amount_minor)
	transaction.amount_minor <= profile.approval_limits[transaction.currency]
}

# Approve and reject decide pending transactions only, in the business hours of the
# transaction's department — whatever the profile (asked only when some profile lists the action).
_approval_refusals(transaction) := {code |
	input.action in request.approval_actions
	count(profiles_with_action) > 0
	some code in ["not_pending", "outside_business_hours"]
	_approval_refused(code, transaction)
}

_approval_refused("not_pending", transaction) if not transaction.status == "pending"

_approval_refused("outside_business_hours", transaction) if not _in_business_hours(transaction)

# A rule of its own: `not hours.open(transaction.department)` would fail, not hold, for a
# transaction without a department (a negated call needs its arguments defined).
_in_business_hours(transaction) if hours.open(transaction.department)

# Why nothing permits the action (read only when nothing grants).
_refusal_codes(profile_refusals) := {"action_not_permitted"} if {
	count(profiles_with_action) == 0
} else := {code | some [_, code] in profile_refusals}

# The action that reads a resource of each type.
_read_action := {"transaction": "transactions:read", "account": "accounts:read"}

# METADATA
# title: Account viewers
# description: |
#   The profiles through which the caller may see the account of a proposed transaction: they
#   read accounts, or list transactions:create, and reach it.
account_viewers(transaction) := {name |
	request.transaction_proposal
	account := _proposal_account(transaction)
	some name, profile in profiles
	some action in ["accounts:read", "transactions:create"]
	action in profile.actions
	_reaches(profile, account)
}

# METADATA
# title: Redacted fields
# description: |
#   The fields hidden from a caller reading through the given profiles: those every one of them
#   redacts (a field any reading profile shows is shown).
redacted_fields(readers) := {path |
	some name in readers
	some path in profiles[name].redact
	every other in readers {
		path in profiles[other].redact
	}
}

# The reaches of the profiles that list the (list) action.
_list_reaches contains profile.reach if {
	some profile in profiles
	input.action in profile.actions
}

_reach_clause["own"] := {"owner": caller.sub} if is_string(caller.sub)

_reach_clause["department"] := {"department": caller.department} if is_string(caller.department)

# METADATA
# title: List clauses
# description: |
#   For list_filter: one store clause per reach of a profile that lists the (list) action; `all`
#   covers the others.
# scope: document
list_clauses := [{}] if "all" in _list_reaches

list_clauses := [clause |
	some reach in ["department", "own"]
	reach in _list_reaches
	clause := _reach_clause[reach]
] if not "all" in _list_reaches
