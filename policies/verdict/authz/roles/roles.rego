# METADATA
# title: Roles
# description: |
#   Rules 2–7, 10 and 11: what customers, staff roles and service clients may do with transactions
#   and accounts, from the profiles in data (policies/data/roles.yaml, service-clients.yaml). A
#   caller with several roles gets the union of their profiles.
package verdict.authz.roles

import data.verdict.authz.caller
import data.verdict.authz.hours
import data.verdict.authz.request
import data.verdict.config

# The caller's profiles, by name.
profiles["customer"] := config.customer if caller.customer

profiles[role] := config.roles[role] if some role in caller.roles

profiles["service_client"] := config.service_clients[caller.claims.client_id] if caller.service_client

# Profiles that list the requested action.
profiles_with_action contains name if {
	some name, profile in profiles
	input.action in profile.actions
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

# Profiles whose reach covers the resource. A proposed transaction must be reached together with
# its account (the service gives it the account's owner and department; without an account it
# is reached by no one). Without one resource (a collection, the audit log) reach does not apply.
reaching contains name if {
	request.one_resource
	not request.transaction_proposal
	some name, profile in profiles
	_reaches(profile, input.resource)
}

reaching contains name if {
	request.transaction_proposal
	some name, profile in profiles
	_reaches(profile, input.resource)
	_reaches(profile, _proposal_account)
}

reaching contains name if {
	not request.one_resource
	some name, _ in profiles
}

# The account of a proposed transaction, when it has one.
_proposal_account := input.resource.account if is_object(input.resource.account)

_out_of_reach_code := {"own": "not_owner", "department": "other_department"}

# Why a profile that lists the action cannot take it here, as [profile, reason code] pairs.
_profile_refusals contains [name, _out_of_reach_code[profiles[name].reach]] if {
	some name in profiles_with_action
	not name in reaching
}

# Rule 2: customers delete only while pending (data: pending_only).
_profile_refusals contains [name, "not_pending"] if {
	some name in profiles_with_action
	input.action in object.get(profiles[name], "pending_only", [])
	not input.resource.status == "pending"
}

# Rule 11: customers open accounts in their home department only (data: home_department_only).
_profile_refusals contains [name, "other_department"] if {
	some name in profiles_with_action
	input.action in object.get(profiles[name], "home_department_only", [])
	not input.resource.department == caller.home_department
}

# Rule 4: approve and reject decide pending transactions only,
_profile_refusals contains [name, "not_pending"] if {
	some name in profiles_with_action
	input.action in request.approval_actions
	not input.resource.status == "pending"
}

# up to the profile's approval limit in the transaction's currency,
_profile_refusals contains [name, "approval_limit_exceeded"] if {
	some name in profiles_with_action
	input.action in request.approval_actions
	not name in _within_approval_limit
}

# in the business hours of the transaction's department.
_profile_refusals contains [name, "outside_business_hours"] if {
	some name in profiles_with_action
	input.action in request.approval_actions
	not hours.open
}

_within_approval_limit contains name if {
	some name in profiles_with_action
	limit := profiles[name].approval_limits[input.resource.currency]
	is_number(input.resource.amount_minor)
	input.resource.amount_minor <= limit
}

_refused_profiles contains name if some [name, _] in _profile_refusals

# Profiles that permit the action on this resource.
granting contains name if {
	some name in profiles_with_action
	name in reaching
	not name in _refused_profiles
}

# Why nothing permits the action (used only when `granting` is empty).
refusals contains "action_not_permitted" if count(profiles_with_action) == 0

refusals contains code if some [_, code] in _profile_refusals

# The action that reads a resource of each type.
_read_action := {"transaction": "transactions:read", "account": "accounts:read"}

# Profiles through which the caller may read the resource (visibility, redaction).
readers contains name if {
	some name in reaching
	_read_action[request.resource_type] in profiles[name].actions
}

# Rule 11: profiles through which the caller may see the account of a proposed transaction —
# they read it, or they list transactions:create and reach it.
account_viewers contains name if {
	request.transaction_proposal
	some name, profile in profiles
	some action in ["accounts:read", "transactions:create"]
	action in profile.actions
	_reaches(profile, _proposal_account)
}

# Fields hidden from the caller: those every reading profile redacts.
redacted_fields contains path if {
	some name in readers
	some path in profiles[name].redact
	every other in readers {
		path in profiles[other].redact
	}
}

# For list_filter: one store clause per reach of a profile that lists the (list) action; `all`
# covers the others.
_list_reaches contains profile.reach if {
	some profile in profiles
	input.action in profile.actions
}

_reach_clause["own"] := {"owner": caller.sub} if is_string(caller.sub)

_reach_clause["department"] := {"department": caller.department} if is_string(caller.department)

list_clauses := [{}] if "all" in _list_reaches

list_clauses := [clause |
	some reach in ["department", "own"]
	reach in _list_reaches
	clause := _reach_clause[reach]
] if not "all" in _list_reaches
