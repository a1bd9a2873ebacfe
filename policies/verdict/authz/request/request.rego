# METADATA
# title: The request
# description: What the request is about, from its action and resource.
package verdict.authz.request

# Actions that decide a pending transaction (rule 4).
decisions := {"transactions:approve", "transactions:reject"}

# Actions that change transactions or accounts (rules 8 and 9).
writes := {
	"transactions:create",
	"transactions:update",
	"transactions:delete",
	"transactions:approve",
	"transactions:reject",
	"accounts:open",
	"accounts:freeze",
	"accounts:unfreeze",
}

# The resource type of each action family, by the action's prefix.
_families := {"transactions": "transaction", "accounts": "account", "audit": "audit"}

_prefix_family := _families[split(input.action, ":")[0]] if is_string(input.action)

# The type of resource the action is about: its family ("accounts:read" → account),
family := _prefix_family

# or, for an action of no family (denied as unknown), what the resource says it is — a
# transaction unless it is an account — so visibility still hides what the caller may not read.
family := "account" if {
	not _prefix_family
	input.resource.type == "account"
}

family := "transaction" if {
	not _prefix_family
	not input.resource.type == "account"
}

# The action's family names the resource type and the resource is of another (rule 1).
mismatched_resource if {
	_prefix_family
	not input.resource.type == _prefix_family
}

# A list action's own gate: the collection, not a row (its resource has no id).
collection if {
	input.action in {"transactions:list", "accounts:list"}
	not input.resource.id
}

# For create, the resource is the proposed transaction;
proposal if input.action == "transactions:create"

# for open, the proposed account.
account_proposal if input.action == "accounts:open"

audit_log if family == "audit"

# Anything else is about a transaction or an account that exists, or does not exist for this
# caller.
existing_transaction if {
	family == "transaction"
	not collection
	not proposal
}

existing_account if {
	family == "account"
	not collection
	not account_proposal
}

# Requests whose resource is one transaction, proposed or existing.
one_transaction if proposal

one_transaction if existing_transaction

# Requests whose resource is one transaction or one account: ownership and departments apply.
one_resource if one_transaction

one_resource if account_proposal

one_resource if existing_account
