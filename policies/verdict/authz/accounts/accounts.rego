# METADATA
# title: Accounts
# description: |
#   Rule 11, on top of every role: what an account's status allows, and that a new account belongs
#   to a department in data (policies/data/departments.yaml). Every transaction belongs to an
#   account; the service sends it as `resource.account`.
package verdict.authz.accounts

import data.verdict.authz.request
import data.verdict.config

# A frozen account takes no new transaction and no approval; a transaction without an account
# belongs to no open one.
violations contains "account_not_open" if {
	input.action in {"transactions:create", "transactions:approve"}
	not input.resource.account.status == "open"
}

# A proposed transaction takes its owner and department from its account (the service sets them
# so); a proposal that says otherwise is refused rather than trusted.
violations contains "account_mismatch" if {
	request.transaction_proposal
	is_object(input.resource.account)
	not _as_its_account
}

_as_its_account if {
	input.resource.owner == input.resource.account.owner
	input.resource.department == input.resource.account.department
}

# Only an open account is frozen,
violations contains "account_not_open" if {
	input.action == "accounts:freeze"
	not input.resource.status == "open"
}

# and only a frozen one unfrozen.
violations contains "account_not_frozen" if {
	input.action == "accounts:unfreeze"
	not input.resource.status == "frozen"
}

# A new account belongs to a department the policy knows.
violations contains "unknown_department" if {
	request.account_proposal
	not _known_department
}

_known_department if config.departments[input.resource.department]
