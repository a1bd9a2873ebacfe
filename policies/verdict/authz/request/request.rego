# METADATA
# title: The request
# description: |
#   What the request is about, from its action and the resource it is decided on. What depends
#   on the resource is a function of it, so that batch decides each resource without `with`.
package verdict.authz.request

# METADATA
# title: Approval actions
# description: The actions that decide a pending transaction (policies/README.md, rule 4).
approval_actions := {"transactions:approve", "transactions:reject"}

# METADATA
# title: Write actions
# description: |
#   The actions that change transactions or accounts: an AI agent needs step-up for each
#   (policies/README.md, rules 8 and 9).
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

# The resource type of each action family (the part of the action before the colon).
_resource_types := {"transactions": "transaction", "accounts": "account", "audit": "audit"}

_family_type := _resource_types[split(input.action, ":")[0]] if is_string(input.action)

# METADATA
# title: Resource type
# description: |
#   The type of resource the action is about: the one its family names ("accounts:read" →
#   account) or, for an action of no family (denied as unknown), what the resource says it is —
#   a transaction unless it is an account — so visibility still hides what the caller may not
#   read.
# scope: document
resource_type(_) := _family_type

resource_type(resource) := "account" if {
	not _family_type
	resource.type == "account"
}

resource_type(resource) := "transaction" if {
	not _family_type
	not resource.type == "account"
}

# METADATA
# title: Mismatched resource
# description: The action's family names a resource type and the resource is of another.
mismatched_resource(resource) if {
	_family_type
	not resource.type == _family_type
}

# METADATA
# title: Collection
# description: A list action's own gate, about the collection and not a row (the resource has no id).
collection(resource) if {
	_list_action
	not resource.id
}

_list_action if input.action in {"transactions:list", "accounts:list"}

# METADATA
# title: Transaction proposal
# description: A create, whose resource is the proposed transaction.
transaction_proposal if input.action == "transactions:create"

# METADATA
# title: Account proposal
# description: An account opening, whose resource is the proposed account.
account_proposal if input.action == "accounts:open"

# METADATA
# title: Audit log
# description: A read of the audit log.
audit_log if _family_type == "audit"

# METADATA
# title: Existing transaction
# description: |
#   A request about one transaction that exists, or does not exist for this caller: any
#   transaction action but the collection gate and a create.
existing_transaction(resource) if {
	resource_type(resource) == "transaction"
	not collection(resource)
	not transaction_proposal
}

# METADATA
# title: Existing account
# description: A request about one account that exists, or does not exist for this caller.
existing_account(resource) if {
	resource_type(resource) == "account"
	not collection(resource)
	not account_proposal
}

# METADATA
# title: One transaction
# description: The resource is one transaction, proposed or existing.
# scope: document
one_transaction(_) if transaction_proposal

one_transaction(resource) if existing_transaction(resource)

# METADATA
# title: One resource
# description: The resource is one transaction or one account, so ownership and departments apply.
# scope: document
one_resource(resource) if one_transaction(resource)

one_resource(_) if account_proposal

one_resource(resource) if existing_account(resource)
