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

_violations(action, resource) := violations if {
	violations := accounts.violations(resource) with input as {"action": action, "subject": {"claims": {"sub": "mia"}}}
}

test_allow_open_account_takes_transactions_and_approvals if {
	count(_violations("transactions:create", _tx)) == 0
	count(_violations("transactions:approve", _tx)) == 0
}

test_deny_frozen_or_missing_account_takes_no_transaction if {
	frozen := object.union(_tx, {"account": {"status": "frozen"}})
	_violations("transactions:create", frozen) == {"account_not_open"}
	_violations("transactions:approve", frozen) == {"account_not_open"}
	without := object.remove(_tx, ["account"])
	_violations("transactions:create", without) == {"account_not_open"}
}

test_allow_frozen_account_still_rejects_and_reads if {
	frozen := object.union(_tx, {"account": {"status": "frozen"}})
	count(_violations("transactions:reject", frozen)) == 0
	count(_violations("transactions:read", frozen)) == 0
}

test_deny_freeze_needs_an_open_account if {
	count(_violations("accounts:freeze", _account)) == 0
	frozen := object.union(_account, {"status": "frozen"})
	_violations("accounts:freeze", frozen) == {"account_not_open"}
}

test_deny_unfreeze_needs_a_frozen_account if {
	frozen := object.union(_account, {"status": "frozen"})
	count(_violations("accounts:unfreeze", frozen)) == 0
	_violations("accounts:unfreeze", _account) == {"account_not_frozen"}
}

test_deny_new_account_in_an_unknown_department if {
	count(_violations("accounts:open", _account)) == 0
	nowhere := object.union(_account, {"department": "atlantis"})
	_violations("accounts:open", nowhere) == {"unknown_department"}
	nameless := object.remove(_account, ["department"])
	_violations("accounts:open", nameless) == {"unknown_department"}
}

test_deny_proposal_that_is_not_its_accounts if {
	elsewhere := object.union(_tx, {"department": "private"})
	_violations("transactions:create", elsewhere) == {"account_mismatch"}
	someone_else := object.union(_tx, {"owner": "bob"})
	_violations("transactions:create", someone_else) == {"account_mismatch"}
}
