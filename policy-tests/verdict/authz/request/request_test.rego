package verdict.authz.request_test

import data.verdict.authz.request

test_allow_list_without_id_is_the_collection if {
	request.collection with input as {"action": "transactions:list", "resource": {"type": "transaction"}}
	not request.one_transaction with input as {"action": "transactions:list", "resource": {"type": "transaction"}}
}

test_allow_list_of_a_row_is_an_existing_transaction if {
	request.existing_transaction with input as {"action": "transactions:list", "resource": {"id": "t1"}}
}

test_allow_create_is_a_proposal if {
	request.transaction_proposal with input as {"action": "transactions:create", "resource": {"id": "t1"}}
	request.one_transaction with input as {"action": "transactions:create", "resource": {"id": "t1"}}
	not request.existing_transaction with input as {"action": "transactions:create", "resource": {"id": "t1"}}
}

test_deny_audit_read_is_about_no_transaction if {
	request.audit_log with input as {"action": "audit:read", "resource": {"type": "audit"}}
	not request.one_transaction with input as {"action": "audit:read", "resource": {"type": "audit"}}
}

test_allow_resource_type_from_the_action_family if {
	request.resource_type == "account" with input as {"action": "accounts:read", "resource": {"type": "account"}}
	request.resource_type == "transaction" with input as {"action": "transactions:export", "resource": {}}
	request.resource_type == "audit" with input as {"action": "audit:read", "resource": {"type": "audit"}}
}

test_allow_resource_type_of_an_unknown_action_from_the_resource if {
	request.resource_type == "account" with input as {"action": "close", "resource": {"type": "account"}}
	request.resource_type == "transaction" with input as {"action": "close", "resource": {"type": "audit"}}
	request.resource_type == "transaction" with input as {"action": 7, "resource": {}}
}

test_deny_resource_of_another_family_is_mismatched if {
	request.mismatched_resource with input as {"action": "accounts:read", "resource": {"type": "transaction"}}
	request.mismatched_resource with input as {"action": "transactions:list", "resource": {"type": "account"}}
	request.mismatched_resource with input as {"action": "audit:read", "resource": {}}
	not request.mismatched_resource with input as {"action": "accounts:list", "resource": {"type": "account"}}
	not request.mismatched_resource with input as {"action": "close", "resource": {"type": "account"}}
}

test_allow_account_requests_by_kind if {
	request.collection with input as {"action": "accounts:list", "resource": {"type": "account"}}
	request.existing_account with input as {"action": "accounts:list", "resource": {"type": "account", "id": "a1"}}
	request.existing_account with input as {"action": "accounts:freeze", "resource": {"type": "account", "id": "a1"}}
	request.account_proposal with input as {"action": "accounts:open", "resource": {"type": "account", "id": "a1"}}
	not request.existing_account with input as {"action": "accounts:open", "resource": {"type": "account", "id": "a1"}}
	request.one_resource with input as {"action": "accounts:open", "resource": {"type": "account", "id": "a1"}}
	request.one_resource with input as {"action": "accounts:read", "resource": {"type": "account", "id": "a1"}}
	not request.one_transaction with input as {"action": "accounts:read", "resource": {"type": "account", "id": "a1"}}
}
