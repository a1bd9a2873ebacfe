package verdict.authz.request_test

import data.verdict.authz.request

test_allow_list_without_id_is_the_collection if {
	request.collection({"type": "transaction"}) with input.action as "transactions:list"
	not request.one_transaction({"type": "transaction"}) with input.action as "transactions:list"
}

test_allow_list_of_a_row_is_an_existing_transaction if {
	request.existing_transaction({"id": "t1"}) with input.action as "transactions:list"
}

test_allow_create_is_a_proposal if {
	request.transaction_proposal with input.action as "transactions:create"
	request.one_transaction({"id": "t1"}) with input.action as "transactions:create"
	not request.existing_transaction({"id": "t1"}) with input.action as "transactions:create"
}

test_deny_audit_read_is_about_no_transaction if {
	request.audit_log with input.action as "audit:read"
	not request.one_transaction({"type": "audit"}) with input.action as "audit:read"
}

test_allow_resource_type_from_the_action_family if {
	request.resource_type({"type": "account"}) == "account" with input.action as "accounts:read"
	request.resource_type({}) == "transaction" with input.action as "transactions:export"
	request.resource_type({"type": "audit"}) == "audit" with input.action as "audit:read"
}

test_allow_resource_type_of_an_unknown_action_from_the_resource if {
	request.resource_type({"type": "account"}) == "account" with input.action as "close"
	request.resource_type({"type": "audit"}) == "transaction" with input.action as "close"
	request.resource_type({}) == "transaction" with input.action as 7
}

test_deny_resource_of_another_family_is_mismatched if {
	request.mismatched_resource({"type": "transaction"}) with input.action as "accounts:read"
	request.mismatched_resource({"type": "account"}) with input.action as "transactions:list"
	request.mismatched_resource({}) with input.action as "audit:read"
	not request.mismatched_resource({"type": "account"}) with input.action as "accounts:list"
	not request.mismatched_resource({"type": "account"}) with input.action as "close"
}

test_allow_account_requests_by_kind if {
	account := {"type": "account", "id": "a1"}
	request.collection({"type": "account"}) with input.action as "accounts:list"
	request.existing_account(account) with input.action as "accounts:list"
	request.existing_account(account) with input.action as "accounts:freeze"
	request.account_proposal with input.action as "accounts:open"
	not request.existing_account(account) with input.action as "accounts:open"
	request.one_resource(account) with input.action as "accounts:open"
	request.one_resource(account) with input.action as "accounts:read"
	not request.one_transaction(account) with input.action as "accounts:read"
}
