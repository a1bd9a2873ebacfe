# METADATA
# title: Accounts
# description: |
#   Rule 11, on top of every role: what an account's status allows, and that a new account belongs
#   to a department in data (policies/data/departments.yaml). Every transaction belongs to an
#   account; the service sends it as `resource.account`.
package verdict.authz.accounts

import data.verdict.authz.request

# A frozen account takes no new transaction and no approval; a transaction without an account
# belongs to no open one.
violations contains "account_not_open" if {
	input.action in {"transactions:create", "transactions:approve"}
	not input.resource.account.status == "open"
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

_known_department if data.verdict.config.departments[input.resource.department]
