package verdict.authz.roles_test

import data.verdict.authz.roles

_tx := {
	"type": "transaction", "id": "t1", "owner": "alice", "department": "retail",
	"amount_minor": 12050, "currency": "EUR", "status": "pending",
}

# Monday 2026-11-23, 11:00 in Berlin.
_input(claims, action) := {
	"subject": {"claims": claims},
	"action": action,
	"environment": {"now": "2026-11-23T10:00:00Z"},
}

# What the caller's profiles make of the resource (roles.assessment) for one action.
_assess(claims, action, resource) := assessment if {
	assessment := roles.assessment(resource) with input as _input(claims, action)
}

_alice := {"sub": "alice", "client_id": "web-app"}

_manager := {"sub": "mia", "client_id": "web", "roles": ["manager"], "department": "retail"}

test_allow_customer_profile_reaches_own if {
	_assess(_alice, "transactions:update", _tx).granting == {"customer"}
}

test_deny_customer_reaches_no_one_elses if {
	assessed := _assess(_alice, "transactions:update", object.union(_tx, {"owner": "bob"}))
	assessed.granting == set()
	assessed.refusals == {"not_owner"}
}

test_deny_customer_deletes_only_pending if {
	assessed := _assess(_alice, "transactions:delete", object.union(_tx, {"status": "approved"}))
	assessed.refusals == {"not_pending"}
}

test_deny_support_has_no_writes if {
	support := {"sub": "sam", "client_id": "web", "roles": ["support"], "department": "retail"}
	_assess(support, "transactions:update", _tx).refusals == {"action_not_permitted"}
}

test_deny_department_reach_needs_the_same_department if {
	assessed := _assess(_manager, "transactions:read", object.union(_tx, {"department": "private"}))
	assessed.refusals == {"other_department"}
	assessed.readers == set()
}

test_allow_manager_approves_within_limit_and_hours if {
	_assess(_manager, "transactions:approve", _tx).granting == {"manager"}
}

test_deny_manager_approves_up_to_the_limit_not_above if {
	at_limit := object.union(_tx, {"amount_minor": 5000000})
	_assess(_manager, "transactions:approve", at_limit).granting == {"manager"}
	over := object.union(_tx, {"amount_minor": 5000001})
	_assess(_manager, "transactions:reject", over).refusals == {"approval_limit_exceeded"}
}

test_deny_manager_has_no_limit_in_an_unknown_currency if {
	assessed := _assess(_manager, "transactions:approve", object.union(_tx, {"currency": "SEK"}))
	assessed.refusals == {"approval_limit_exceeded"}
}

test_deny_manager_decides_pending_only_in_business_hours if {
	settled := object.union(_tx, {"status": "settled"})
	assessed := roles.assessment(settled) with input as _input(_manager, "transactions:approve")
		with input.environment.now as "2026-11-23T20:00:00Z"
	assessed.refusals == {"not_pending", "outside_business_hours"}
}

test_deny_unknown_roles_grant_nothing if {
	staff := {"sub": "x", "client_id": "web", "roles": ["janitor"]}
	roles.profiles == {} with input as _input(staff, "transactions:read")
	_assess(staff, "transactions:read", _tx).refusals == {"action_not_permitted"}
}

test_allow_service_client_profile_from_data if {
	client := {"sub": "reporting", "client_id": "reporting"}
	_assess(client, "transactions:read", _tx).granting == {"service_client"}
	readers := _assess(client, "transactions:read", _tx).readers
	roles.redacted_fields(readers) == {"counterparty.account", "note"} with input as _input(client, "transactions:read")
}

test_deny_unlisted_service_client_has_no_profile if {
	client := {"sub": "stranger", "client_id": "stranger"}
	roles.profiles == {} with input as _input(client, "transactions:read")
}

test_allow_one_list_clause_per_reach_all_covers_the_rest if {
	roles.list_clauses == [{"owner": "alice"}] with input as _input(_alice, "transactions:list")
	roles.list_clauses == [{"department": "retail"}] with input as _input(_manager, "transactions:list")
	admin := object.union(_manager, {"roles": ["manager", "admin"]})
	roles.list_clauses == [{}] with input as _input(admin, "transactions:list")
}

test_deny_department_clause_needs_a_department if {
	support := {"sub": "sam", "client_id": "web", "roles": ["support"]}
	roles.list_clauses == [] with input as _input(support, "transactions:list")
}

_account := {"type": "account", "id": "a1", "owner": "alice", "department": "retail", "status": "open"}

test_allow_customer_opens_in_the_home_department if {
	_assess(_alice, "accounts:open", _account).granting == {"customer"}
	claimed := object.union(_alice, {"department": "private"})
	private := object.union(_account, {"department": "private"})
	_assess(claimed, "accounts:open", private).granting == {"customer"}
}

test_deny_customer_opens_outside_the_home_department if {
	private := object.union(_account, {"department": "private"})
	_assess(_alice, "accounts:open", private).refusals == {"other_department"}
	_assess(_alice, "accounts:open", object.union(_account, {"owner": "bob"})).refusals == {"not_owner"}
}

test_allow_service_client_opens_anywhere_for_anyone if {
	gateway := {"sub": "payments-gateway", "client_id": "payments-gateway"}
	elsewhere := object.union(_account, {"owner": "carol", "department": "private"})
	_assess(gateway, "accounts:open", elsewhere).granting == {"service_client"}
}

test_allow_account_readers_reach_the_account if {
	_assess(_manager, "accounts:read", _account).readers == {"manager"}
	private := object.union(_account, {"department": "private"})
	_assess(_manager, "accounts:read", private).readers == set()
}

test_deny_proposal_is_reached_only_with_its_account if {
	tx := object.union(_tx, {"account": {"owner": "alice", "department": "retail"}})
	roles.reaching(tx) == {"customer"} with input as _input(_alice, "transactions:create")
	roles.account_viewers(tx) == {"customer"} with input as _input(_alice, "transactions:create")
	bobs := object.union(tx, {"account": {"owner": "bob", "department": "retail"}})
	roles.reaching(bobs) == set() with input as _input(_alice, "transactions:create")
	roles.account_viewers(bobs) == set() with input as _input(_alice, "transactions:create")
	roles.reaching(_tx) == set() with input as _input(_alice, "transactions:create")
}

test_allow_manager_sees_the_account_of_a_proposal_in_the_department if {
	tx := object.union(_tx, {"account": {"owner": "bob", "department": "retail"}})
	roles.account_viewers(tx) == {"manager"} with input as _input(_manager, "transactions:create")
	_assess(_manager, "transactions:create", tx).refusals == {"action_not_permitted"}
}

test_allow_account_list_clauses_per_reach if {
	roles.list_clauses == [{"owner": "alice"}] with input as _input(_alice, "accounts:list")
	roles.list_clauses == [{"department": "retail"}] with input as _input(_manager, "accounts:list")
	gateway := {"sub": "payments-gateway", "client_id": "payments-gateway"}
	roles.list_clauses == [] with input as _input(gateway, "accounts:list")
}
