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

# The type of resource the action is about: its family's ("accounts:read" → account),
resource_type(_) := _family_type

# or, for an action of no family (denied as unknown), what the resource says it is — a
# transaction unless it is an account — so visibility still hides what the caller may not read.
resource_type(resource) := "account" if {
	not _family_type
	resource.type == "account"
}

resource_type(resource) := "transaction" if {
	not _family_type
	not resource.type == "account"
}

# The action's family names the resource type and the resource is of another (rule 1).
mismatched_resource(resource) if {
	_family_type
	not resource.type == _family_type
}

# A list action's own gate: the collection, not a row (its resource has no id).
collection(resource) if {
	input.action in {"transactions:list", "accounts:list"}
	not resource.id
}

# For create, the resource is the proposed transaction;
transaction_proposal if input.action == "transactions:create"

# for open, the proposed account.
account_proposal if input.action == "accounts:open"

audit_log if _family_type == "audit"

# Anything else is about a transaction or an account that exists, or does not exist for this
# caller.
existing_transaction(resource) if {
	resource_type(resource) == "transaction"
	not collection(resource)
	not transaction_proposal
}

existing_account(resource) if {
	resource_type(resource) == "account"
	not collection(resource)
	not account_proposal
}

# Requests whose resource is one transaction, proposed or existing.
one_transaction(_) if transaction_proposal

one_transaction(resource) if existing_transaction(resource)

# Requests whose resource is one transaction or one account: ownership and departments apply.
one_resource(resource) if one_transaction(resource)

one_resource(_) if account_proposal

one_resource(resource) if existing_account(resource)
