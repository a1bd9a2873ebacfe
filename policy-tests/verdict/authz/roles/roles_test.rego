package verdict.authz.roles_test

import data.verdict.authz.roles

_tx := {
	"type": "transaction", "id": "t1", "owner": "alice", "department": "retail",
	"amount_minor": 12050, "currency": "EUR", "status": "pending",
}

# Monday 2026-11-23, 11:00 in Berlin.
_input(claims, action, resource) := {
	"subject": {"claims": claims},
	"action": action,
	"resource": resource,
	"environment": {"now": "2026-11-23T10:00:00Z"},
}

_alice := {"sub": "alice", "client_id": "web-app"}

_manager := {"sub": "mia", "client_id": "web", "roles": ["manager"], "department": "retail"}

test_allow_customer_profile_reaches_own if {
	roles.granting == {"customer"} with input as _input(_alice, "transactions:update", _tx)
}

test_deny_customer_reaches_no_one_elses if {
	req := _input(_alice, "transactions:update", object.union(_tx, {"owner": "bob"}))
	roles.granting == set() with input as req
	roles.refusals == {"not_owner"} with input as req
}

test_deny_customer_deletes_only_pending if {
	req := _input(_alice, "transactions:delete", object.union(_tx, {"status": "approved"}))
	roles.refusals == {"not_pending"} with input as req
}

test_deny_support_has_no_writes if {
	support := {"sub": "sam", "client_id": "web", "roles": ["support"], "department": "retail"}
	roles.refusals == {"action_not_permitted"} with input as _input(support, "transactions:update", _tx)
}

test_deny_department_reach_needs_the_same_department if {
	req := _input(_manager, "transactions:read", object.union(_tx, {"department": "private"}))
	roles.refusals == {"other_department"} with input as req
	roles.readers == set() with input as req
}

test_allow_manager_approves_within_limit_and_hours if {
	roles.granting == {"manager"} with input as _input(_manager, "transactions:approve", _tx)
}

test_deny_manager_approves_at_most_the_limit if {
	at_limit := object.union(_tx, {"amount_minor": 5000000})
	roles.granting == {"manager"} with input as _input(_manager, "transactions:approve", at_limit)
	over := object.union(_tx, {"amount_minor": 5000001})
	roles.refusals == {"approval_limit_exceeded"} with input as _input(_manager, "transactions:reject", over)
}

test_deny_manager_has_no_limit_in_an_unknown_currency if {
	req := _input(_manager, "transactions:approve", object.union(_tx, {"currency": "SEK"}))
	roles.refusals == {"approval_limit_exceeded"} with input as req
}

test_deny_manager_decides_pending_only_in_business_hours if {
	settled := object.union(_tx, {"status": "settled"})
	evening := {"environment": {"now": "2026-11-23T20:00:00Z"}}
	req := object.union(_input(_manager, "transactions:approve", settled), evening)
	roles.refusals == {"not_pending", "outside_business_hours"} with input as req
}

test_allow_unknown_roles_grant_nothing if {
	staff := {"sub": "x", "client_id": "web", "roles": ["janitor"]}
	roles.profiles == {} with input as _input(staff, "transactions:read", _tx)
	roles.refusals == {"action_not_permitted"} with input as _input(staff, "transactions:read", _tx)
}

test_allow_service_client_profile_from_data if {
	client := {"sub": "reporting", "client_id": "reporting"}
	roles.granting == {"service_client"} with input as _input(client, "transactions:read", _tx)
	roles.redacted_fields == {"counterparty.account", "note"} with input as _input(client, "transactions:read", _tx)
}

test_deny_unlisted_service_client_has_no_profile if {
	client := {"sub": "stranger", "client_id": "stranger"}
	roles.profiles == {} with input as _input(client, "transactions:read", _tx)
}

test_allow_list_clauses_per_reach if {
	roles.list_clauses == [{"owner": "alice"}] with input as _input(_alice, "transactions:list", null)
	roles.list_clauses == [{"department": "retail"}] with input as _input(_manager, "transactions:list", null)
	admin := object.union(_manager, {"roles": ["manager", "admin"]})
	roles.list_clauses == [{}] with input as _input(admin, "transactions:list", null)
}

test_deny_department_clause_needs_a_department if {
	support := {"sub": "sam", "client_id": "web", "roles": ["support"]}
	roles.list_clauses == [] with input as _input(support, "transactions:list", null)
}

_account := {"type": "account", "id": "a1", "owner": "alice", "department": "retail", "status": "open"}

test_allow_customer_opens_in_the_home_department if {
	roles.granting == {"customer"} with input as _input(_alice, "accounts:open", _account)
	claimed := object.union(_alice, {"department": "private"})
	private := object.union(_account, {"department": "private"})
	roles.granting == {"customer"} with input as _input(claimed, "accounts:open", private)
}

test_deny_customer_opens_outside_the_home_department if {
	private := object.union(_account, {"department": "private"})
	roles.refusals == {"other_department"} with input as _input(_alice, "accounts:open", private)
	roles.refusals == {"not_owner"} with input as _input(_alice, "accounts:open", object.union(_account, {"owner": "bob"}))
}

test_allow_service_client_opens_anywhere_for_anyone if {
	gateway := {"sub": "payments-gateway", "client_id": "payments-gateway"}
	elsewhere := object.union(_account, {"owner": "carol", "department": "private"})
	roles.granting == {"service_client"} with input as _input(gateway, "accounts:open", elsewhere)
}

test_allow_account_readers_reach_the_account if {
	roles.readers == {"manager"} with input as _input(_manager, "accounts:read", _account)
	private := object.union(_account, {"department": "private"})
	roles.readers == set() with input as _input(_manager, "accounts:read", private)
}

test_deny_proposal_is_reached_only_with_its_account if {
	tx := object.union(_tx, {"account": {"owner": "alice", "department": "retail"}})
	roles.reaching == {"customer"} with input as _input(_alice, "transactions:create", tx)
	roles.account_viewers == {"customer"} with input as _input(_alice, "transactions:create", tx)
	bobs := object.union(tx, {"account": {"owner": "bob", "department": "retail"}})
	roles.reaching == set() with input as _input(_alice, "transactions:create", bobs)
	roles.account_viewers == set() with input as _input(_alice, "transactions:create", bobs)
	roles.reaching == set() with input as _input(_alice, "transactions:create", _tx)
}

test_allow_manager_sees_the_account_of_a_proposal_in_the_department if {
	tx := object.union(_tx, {"account": {"owner": "bob", "department": "retail"}})
	roles.account_viewers == {"manager"} with input as _input(_manager, "transactions:create", tx)
	roles.refusals == {"action_not_permitted"} with input as _input(_manager, "transactions:create", tx)
}

test_allow_account_list_clauses_per_reach if {
	roles.list_clauses == [{"owner": "alice"}] with input as _input(_alice, "accounts:list", null)
	roles.list_clauses == [{"department": "retail"}] with input as _input(_manager, "accounts:list", null)
	gateway := {"sub": "payments-gateway", "client_id": "payments-gateway"}
	roles.list_clauses == [] with input as _input(gateway, "accounts:list", null)
}
