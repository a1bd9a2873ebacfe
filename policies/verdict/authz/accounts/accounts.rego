# METADATA
# title: Accounts
# description: |
#   On top of every role: what an account's status allows, and that a new account belongs to a
#   department in data (policies/data/departments.yaml; policies/README.md, rule 11). Every
#   transaction belongs to an account; the service sends it as `resource.account`.
package verdict.authz.accounts

import data.verdict.authz.request
import data.verdict.config

# METADATA
# title: Violations
# description: |
#   The reason codes of what the account's status or department forbids: the resource's own
#   account (freeze, unfreeze, open) or a transaction's `account` (create, approve).
violations(resource) := {code |
	some code in ["account_not_open", "account_not_frozen", "account_mismatch", "unknown_department"]
	_violated(code, resource)
}

# A frozen account takes no new transaction and no approval; a transaction without an account
# belongs to no open one.
_violated("account_not_open", transaction) if {
	input.action in {"transactions:create", "transactions:approve"}
	not transaction.account.status == "open"
}

# Only an open account is frozen,
_violated("account_not_open", account) if {
	input.action == "accounts:freeze"
	not account.status == "open"
}

# and only a frozen one unfrozen.
_violated("account_not_frozen", account) if {
	input.action == "accounts:unfreeze"
	not account.status == "frozen"
}

# A proposed transaction takes its owner and department from its account (the service sets them
# so); a proposal that says otherwise is refused rather than trusted.
_violated("account_mismatch", transaction) if {
	request.transaction_proposal
	is_object(transaction.account)
	not _as_its_account(transaction)
}

_as_its_account(transaction) if {
	transaction.owner == transaction.account.owner
	transaction.department == transaction.account.department
}

# A new account belongs to a department the policy knows.
_violated("unknown_department", account) if {
	request.account_proposal
	not _known_department(account)
}

_known_department(account) if config.departments[account.department]
