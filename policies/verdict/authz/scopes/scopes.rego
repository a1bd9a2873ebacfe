# METADATA
# title: Scopes
# description: Rule 1 — scopes gate actions.
package verdict.authz.scopes

# The scope each action needs. An action not listed here is unknown and denied.
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

known_action if required[input.action]

# The scopes of the token (`scope` is space-separated).
granted contains scope if {
	is_string(input.subject.claims.scope)
	some scope in split(input.subject.claims.scope, " ")
	scope != ""
}

# The scope the action needs and the token lacks.
missing := required[input.action] if not required[input.action] in granted
