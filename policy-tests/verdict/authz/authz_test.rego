package verdict.authz_test

import data.verdict.authz

# Monday 2026-11-23, 11:00 in Berlin: retail is open.
_now := "2026-11-23T10:00:00Z"

_account := {"id": "a1", "owner": "alice", "department": "retail", "status": "open"}

_tx := {
	"type": "transaction", "id": "t1", "owner": "alice", "department": "retail",
	"amount_minor": 12050, "currency": "EUR", "category": "groceries", "status": "pending",
	"created_at": "2026-11-20T09:30:00Z", "account": _account,
}

_all_scopes := "transactions:read transactions:write transactions:delete transactions:approve accounts:read accounts:write audit:read"

_alice := {"sub": "alice", "client_id": "web-app", "scope": _all_scopes}

_mfa := {"acr": "urn:verdict:acr:mfa", "auth_time": 1795428000} # 2026-11-23T10:00:00Z

_input(claims, action, resource) := {
	"subject": {"claims": claims},
	"action": action,
	"resource": resource,
	"environment": {"now": _now},
}

_decide(claims, action, resource) := decision if {
	decision := authz.decision with input as _input(claims, action, resource)
}

_codes(d) := [r.code | some r in d.reasons]

test_allow_customer_reads_own_transaction if {
	d := _decide(_alice, "transactions:read", _tx)
	d == {"allow": true, "visible": true, "reasons": [], "redact": []}
}

test_deny_customer_reads_other_customers_transaction_invisibly if {
	d := _decide(_alice, "transactions:read", object.union(_tx, {"owner": "bob"}))
	d.allow == false
	d.visible == false
	_codes(d) == ["not_owner"]
}

test_deny_missing_scope_names_the_scope if {
	d := _decide(object.union(_alice, {"scope": "transactions:write"}), "transactions:read", _tx)
	d.allow == false
	d.visible == true
	d.reasons == [{
		"code": "insufficient_scope",
		"message": "the access token lacks the scope this action needs",
		"scope": "transactions:read",
	}]
}

test_deny_action_the_policy_does_not_know if {
	d := _decide(_alice, "transactions:transfer", _tx)
	d.allow == false
	_codes(d) == ["unknown_action"]
}

test_deny_resource_that_is_not_a_transaction if {
	d := _decide(_alice, "transactions:read", object.union(_tx, {"type": "account"}))
	_codes(d) == ["unsupported_resource"]
}

test_allow_support_reads_department_with_redaction if {
	support := object.union(_alice, {"sub": "sam", "roles": ["support"], "department": "retail"})
	d := _decide(support, "transactions:read", _tx)
	d.allow
	d.redact == ["counterparty.account", "note"]
}

test_allow_union_of_roles_shows_what_any_reading_role_shows if {
	both := object.union(_alice, {"sub": "sam", "roles": ["support", "manager"], "department": "retail"})
	d := _decide(both, "transactions:read", _tx)
	d.allow
	d.redact == []
}

test_deny_denied_read_redacts_nothing if {
	support := object.union(_alice, {"sub": "sam", "roles": ["support"], "department": "retail", "scope": ""})
	d := _decide(support, "transactions:read", _tx)
	d.allow == false
	d.redact == []
}

test_deny_delete_without_step_up_carries_challenge if {
	d := _decide(_alice, "transactions:delete", _tx)
	d.allow == false
	d.visible == true
	_codes(d) == ["step_up_required"]
	d.step_up == {"acr_values": "urn:verdict:acr:mfa urn:verdict:acr:phr", "max_age": 300}
}

test_allow_delete_with_step_up if {
	d := _decide(object.union(_alice, _mfa), "transactions:delete", _tx)
	d.allow
	not d.step_up
}

test_deny_step_up_not_asked_when_denied_anyway if {
	d := _decide(_alice, "transactions:delete", object.union(_tx, {"status": "settled"}))
	_codes(d) == ["not_pending"]
	not d.step_up
}

test_allow_customer_passes_the_list_gate if {
	d := _decide(_alice, "transactions:list", {"type": "transaction"})
	d.allow
	d.visible
}

test_allow_audit_read_by_auditor if {
	auditor := object.union(_alice, {"sub": "ada", "roles": ["auditor"]})
	d := _decide(auditor, "audit:read", {"type": "audit"})
	d == {"allow": true, "visible": true, "reasons": [], "redact": []}
}

test_deny_audit_read_by_customer_is_visible if {
	d := _decide(_alice, "audit:read", {"type": "audit"})
	d.visible
	_codes(d) == ["action_not_permitted"]
}

test_allow_batch_keeps_input_order if {
	resources := [_tx, object.union(_tx, {"id": "t2", "owner": "bob"}), object.union(_tx, {"id": "t3"})]
	req := object.union(_input(_alice, "transactions:list", _tx), {"resources": resources})
	result := authz.batch with input as req
	[d.allow | some d in result.decisions] == [true, false, true]
	[d.visible | some d in result.decisions] == [true, false, true]
}

test_allow_batch_of_nothing_is_empty if {
	result := authz.batch with input as _input(_alice, "transactions:list", _tx)
	result == {"decisions": []}
}

test_allow_batch_decides_each_resource_as_decision_does if {
	manager := object.union(_manager, _mfa)
	resources := [
		_tx,
		object.union(_tx, {"owner": "bob", "status": "settled"}),
		object.union(_tx, {"department": "private", "amount_minor": 9000000}),
		object.union(_tx, {"account": object.union(_account, {"status": "frozen"})}),
		null,
	]
	every action in ["transactions:read", "transactions:approve", "transactions:delete"] {
		result := authz.batch with input as object.union(_input(manager, action, null), {"resources": resources})
		result.decisions == [d |
			some resource in resources
			d := _decide(manager, action, resource)
		]
	}
}

test_deny_decision_without_a_resource_is_the_decision_on_null if {
	no_resource := object.remove(_input(_alice, "transactions:read", null), ["resource"])
	d := authz.decision with input as no_resource
	d == {
		"allow": false, "visible": false, "redact": [],
		"reasons": [
			{"code": "not_owner", "message": "the transaction or account belongs to another customer"},
			{"code": "unsupported_resource", "message": "the resource is not of the type the action is about"},
		],
	}
	d == _decide(_alice, "transactions:read", null)
}

test_allow_list_filter_for_customer if {
	f := authz.list_filter with input as _input(_alice, "transactions:list", null)
	f == {"any_of": [{"owner": "alice"}]}
}

test_deny_list_filter_without_scope_is_empty if {
	writer := object.union(_alice, {"scope": "transactions:write"})
	f := authz.list_filter with input as _input(writer, "transactions:list", null)
	f == {"any_of": []}
}

test_deny_list_filter_for_another_action_is_empty if {
	f := authz.list_filter with input as _input(_alice, "transactions:read", null)
	f == {"any_of": []}
}

test_allow_list_filter_adds_agent_limits_to_every_clause if {
	agent := object.union(_alice, {
		"sub": "sam", "roles": ["support", "manager"], "department": "retail",
		"agent": {"id": "bot", "client_type": "confidential"},
		"transaction_amount_limit": 5000, "excluded_categories": ["gambling"],
	})
	f := authz.list_filter with input as _input(agent, "transactions:list", null)
	f == {"any_of": [{"department": "retail", "amount_minor_lte": 5000, "category_not_in": ["gambling"]}]}
}

test_deny_list_filter_with_unusable_agent_limit_is_empty if {
	agent := object.union(_alice, {"agent": {"id": "bot"}, "transaction_amount_limit": "lots"})
	f := authz.list_filter with input as _input(agent, "transactions:list", null)
	f == {"any_of": []}
}

test_deny_separation_of_duties_on_top_of_the_manager_role if {
	manager := object.union(_alice, {"roles": ["manager"], "department": "retail"})
	d := _decide(manager, "transactions:approve", _tx)
	d.visible
	_codes(d) == ["self_approval"]
}

test_deny_agent_limits_on_top_of_ownership if {
	agent := object.union(_alice, {"agent": {"id": "bot", "client_type": "confidential"}, "transaction_amount_limit": 100})
	d := _decide(agent, "transactions:read", _tx)
	d.visible == false
	_codes(d) == ["agent_amount_limit"]
}

test_deny_public_agent_create_above_cap_even_with_step_up if {
	agent := object.union(_alice, object.union(_mfa, {"agent": {"id": "bot", "client_type": "public"}}))
	d := _decide(agent, "transactions:create", object.union(_tx, {"amount_minor": 50001}))
	_codes(d) == ["agent_create_limit"]
	not d.step_up
}

_account_resource := object.union(_account, {"type": "account", "currency": "EUR"})

_manager := object.union(_alice, {"sub": "mia", "roles": ["manager"], "department": "retail"})

test_allow_customer_reads_own_account if {
	d := _decide(_alice, "accounts:read", _account_resource)
	d == {"allow": true, "visible": true, "reasons": [], "redact": []}
}

test_deny_customer_reads_other_customers_account_invisibly if {
	d := _decide(_alice, "accounts:read", object.union(_account_resource, {"owner": "bob"}))
	d.visible == false
	_codes(d) == ["not_owner"]
}

test_allow_customer_opens_own_account_in_the_default_department if {
	d := _decide(_alice, "accounts:open", _account_resource)
	d == {"allow": true, "visible": true, "reasons": [], "redact": []}
}

test_deny_customer_opens_outside_the_home_department if {
	d := _decide(_alice, "accounts:open", object.union(_account_resource, {"department": "private"}))
	d.visible
	_codes(d) == ["other_department"]
}

test_deny_manager_freezes_only_after_step_up if {
	d := _decide(_manager, "accounts:freeze", object.union(_account_resource, {"owner": "bob"}))
	_codes(d) == ["step_up_required"]
	d.step_up
	allowed := _decide(object.union(_manager, _mfa), "accounts:freeze", object.union(_account_resource, {"owner": "bob"}))
	allowed.allow
}

test_deny_frozen_account_is_not_frozen_again if {
	frozen := object.union(_account_resource, {"status": "frozen"})
	d := _decide(object.union(_manager, _mfa), "accounts:freeze", frozen)
	d.visible
	_codes(d) == ["account_not_open"]
}

test_deny_create_on_a_frozen_account if {
	frozen := object.union(_tx, {"account": object.union(_account, {"status": "frozen"})})
	d := _decide(_alice, "transactions:create", frozen)
	d.visible
	_codes(d) == ["account_not_open"]
}

test_deny_create_on_another_customers_account_is_invisible if {
	bobs := object.union(_tx, {"owner": "bob", "account": object.union(_account, {"owner": "bob"})})
	d := _decide(_alice, "transactions:create", bobs)
	d.visible == false
	_codes(d) == ["not_owner"]
}

test_deny_create_without_an_account_is_invisible if {
	d := _decide(_alice, "transactions:create", object.remove(_tx, ["account"]))
	d.allow == false
	d.visible == false
	_codes(d) == ["account_not_open", "not_owner"]
}

test_deny_manager_creating_in_their_department_sees_the_account if {
	d := _decide(_manager, "transactions:create", _tx)
	d.visible
	_codes(d) == ["action_not_permitted"]
}

test_deny_account_action_on_a_transaction if {
	d := _decide(_alice, "accounts:read", _tx)
	_codes(d) == ["unsupported_resource"]
}

test_allow_list_filter_for_accounts_has_no_agent_limits if {
	agent := object.union(_alice, {"agent": {"id": "bot"}, "transaction_amount_limit": "lots"})
	f := authz.list_filter with input as _input(agent, "accounts:list", null)
	f == {"any_of": [{"owner": "alice"}]}
	staff := authz.list_filter with input as _input(_manager, "accounts:list", null)
	staff == {"any_of": [{"department": "retail"}]}
}

test_deny_list_filter_for_accounts_without_scope_is_empty if {
	reader := object.union(_alice, {"scope": "transactions:read"})
	f := authz.list_filter with input as _input(reader, "accounts:list", null)
	f == {"any_of": []}
}

test_allow_batch_decides_each_account if {
	resources := [_account_resource, object.union(_account_resource, {"id": "a2", "owner": "bob"})]
	req := object.union(_input(_alice, "accounts:list", null), {"resources": resources})
	result := authz.batch with input as req
	[d.allow | some d in result.decisions] == [true, false]
	[d.visible | some d in result.decisions] == [true, false]
}
