package verdict.authz.accounts_test

import data.verdict.authz.accounts

_account := {
	"type": "account", "id": "a1", "owner": "alice", "department": "retail",
	"currency": "EUR", "status": "open",
}

_tx := {
	"type": "transaction", "id": "t1", "owner": "alice", "department": "retail",
	"account": {"owner": "alice", "department": "retail", "status": "open"},
}

_input(action, resource) := {"action": action, "resource": resource, "subject": {"claims": {"sub": "mia"}}}

test_allow_open_account_takes_transactions_and_approvals if {
	count(accounts.violations) == 0 with input as _input("transactions:create", _tx)
	count(accounts.violations) == 0 with input as _input("transactions:approve", _tx)
}

test_deny_frozen_or_missing_account_takes_no_transaction if {
	frozen := object.union(_tx, {"account": {"status": "frozen"}})
	accounts.violations == {"account_not_open"} with input as _input("transactions:create", frozen)
	accounts.violations == {"account_not_open"} with input as _input("transactions:approve", frozen)
	without := object.remove(_tx, ["account"])
	accounts.violations == {"account_not_open"} with input as _input("transactions:create", without)
}

test_allow_frozen_account_still_rejects_and_reads if {
	frozen := object.union(_tx, {"account": {"status": "frozen"}})
	count(accounts.violations) == 0 with input as _input("transactions:reject", frozen)
	count(accounts.violations) == 0 with input as _input("transactions:read", frozen)
}

test_deny_freeze_needs_an_open_account if {
	count(accounts.violations) == 0 with input as _input("accounts:freeze", _account)
	frozen := object.union(_account, {"status": "frozen"})
	accounts.violations == {"account_not_open"} with input as _input("accounts:freeze", frozen)
}

test_deny_unfreeze_needs_a_frozen_account if {
	frozen := object.union(_account, {"status": "frozen"})
	count(accounts.violations) == 0 with input as _input("accounts:unfreeze", frozen)
	accounts.violations == {"account_not_frozen"} with input as _input("accounts:unfreeze", _account)
}

test_deny_new_account_in_an_unknown_department if {
	count(accounts.violations) == 0 with input as _input("accounts:open", _account)
	nowhere := object.union(_account, {"department": "atlantis"})
	accounts.violations == {"unknown_department"} with input as _input("accounts:open", nowhere)
	nameless := object.remove(_account, ["department"])
	accounts.violations == {"unknown_department"} with input as _input("accounts:open", nameless)
}

test_deny_proposal_that_is_not_its_accounts if {
	elsewhere := object.union(_tx, {"department": "private"})
	accounts.violations == {"account_mismatch"} with input as _input("transactions:create", elsewhere)
	someone_else := object.union(_tx, {"owner": "bob"})
	accounts.violations == {"account_mismatch"} with input as _input("transactions:create", someone_else)
}
