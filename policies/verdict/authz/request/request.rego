# METADATA
# title: The request
# description: What the request is about, from its action and resource.
package verdict.authz.request

# Actions that decide a pending transaction (rule 4).
approval_actions := {"transactions:approve", "transactions:reject"}

# Actions that change transactions or accounts (rules 8 and 9).
write_actions := {
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
_resource_types := {"transactions": "transaction", "accounts": "account", "audit": "audit"}

_family_type := _resource_types[split(input.action, ":")[0]] if is_string(input.action)

# The type of resource the action is about: its family ("accounts:read" → account),
resource_type := _family_type

# or, for an action of no family (denied as unknown), what the resource says it is — a
# transaction unless it is an account — so visibility still hides what the caller may not read.
resource_type := "account" if {
	not _family_type
	input.resource.type == "account"
}

resource_type := "transaction" if {
	not _family_type
	not input.resource.type == "account"
}

# The action's family names the resource type and the resource is of another (rule 1).
mismatched_resource if {
	_family_type
	not input.resource.type == _family_type
}

# A list action's own gate: the collection, not a row (its resource has no id).
collection if {
	input.action in {"transactions:list", "accounts:list"}
	not input.resource.id
}

# For create, the resource is the proposed transaction;
transaction_proposal if input.action == "transactions:create"

# for open, the proposed account.
account_proposal if input.action == "accounts:open"

audit_log if resource_type == "audit"

# Anything else is about a transaction or an account that exists, or does not exist for this
# caller.
existing_transaction if {
	resource_type == "transaction"
	not collection
	not transaction_proposal
}

existing_account if {
	resource_type == "account"
	not collection
	not account_proposal
}

# Requests whose resource is one transaction, proposed or existing.
one_transaction if transaction_proposal

one_transaction if existing_transaction

# Requests whose resource is one transaction or one account: ownership and departments apply.
one_resource if one_transaction

one_resource if account_proposal

one_resource if existing_account
