# METADATA
# title: The request
# description: What the request is about, from its action and resource.
package verdict.authz.request

# Actions that decide a pending transaction (rule 4).
decisions := {"transactions:approve", "transactions:reject"}

# Actions that change transactions (rules 8 and 9).
writes := {
	"transactions:create",
	"transactions:update",
	"transactions:delete",
	"transactions:approve",
	"transactions:reject",
}

# The list action's own gate: the collection, not a row (its resource has no id).
collection if {
	input.action == "transactions:list"
	not input.resource.id
}

# For create, the resource is the proposed transaction.
proposal if input.action == "transactions:create"

audit_log if input.action == "audit:read"

# Anything else is about a transaction that exists, or does not exist for this caller.
existing_transaction if {
	not collection
	not proposal
	not audit_log
}

# Requests whose resource is one transaction, proposed or existing: ownership and departments apply.
one_transaction if proposal

one_transaction if existing_transaction
