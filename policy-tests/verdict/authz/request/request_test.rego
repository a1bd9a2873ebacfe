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
	request.proposal with input as {"action": "transactions:create", "resource": {"id": "t1"}}
	request.one_transaction with input as {"action": "transactions:create", "resource": {"id": "t1"}}
	not request.existing_transaction with input as {"action": "transactions:create", "resource": {"id": "t1"}}
}

test_deny_audit_read_is_about_no_transaction if {
	request.audit_log with input as {"action": "audit:read", "resource": {"type": "audit"}}
	not request.one_transaction with input as {"action": "audit:read", "resource": {"type": "audit"}}
}
