# METADATA
# title: Scopes
# description: |
#   Scopes gate actions (policies/README.md, rule 1): each action needs one scope of the access
#   token, matched exactly.
# related_resources:
#   - ref: https://www.rfc-editor.org/rfc/rfc6750#section-3.1
#     description: RFC 6750 insufficient_scope
package verdict.authz.scopes

# METADATA
# title: Required scope
# description: The scope each action needs. An action not listed here is unknown and denied.
required := {
	"transactions:list": "transactions:read",
	"transactions:read": "transactions:read",
	"transactions:create": "transactions:write",
	"transactions:update": "transactions:write",
	"transactions:delete": "transactions:delete",
	"transactions:approve": "transactions:approve",
	"transactions:reject": "transactions:approve",
	"accounts:open": "accounts:write",
	"accounts:list": "accounts:read",
	"accounts:read": "accounts:read",
	"accounts:freeze": "accounts:write",
	"accounts:unfreeze": "accounts:write",
	"audit:read": "audit:read",
}

# METADATA
# title: Known action
# description: The action is one of those the policy knows.
known_action if required[input.action]

# METADATA
# title: Missing scope
# description: |
#   The scope the action needs and the token lacks. The token's `scope` is space-separated and
#   each of its scopes is matched exactly: the needed one, with a space on each side, is in the
#   token's with a space added at each end (no `split`: a set of the token's scopes costs more in
#   WASM than the rest of this check).
missing := needed if {
	needed := required[input.action]
	not _granted(needed)
}

_granted(scope) if {
	granted := input.subject.claims.scope
	is_string(granted)
	contains(concat("", [" ", granted, " "]), concat("", [" ", scope, " "]))
}
