package verdict.authz.scopes_test

import data.verdict.authz.scopes

test_allow_every_action_has_its_scope if {
	every action, scope in scopes.required {
		not scopes.missing with input as {"action": action, "subject": {"claims": {"scope": concat(" ", ["openid", scope])}}}
	}
}

test_deny_reject_needs_the_approve_scope if {
	scopes.missing == "transactions:approve" with input as {
		"action": "transactions:reject",
		"subject": {"claims": {"scope": "transactions:read transactions:write"}},
	}
}

test_deny_empty_and_absent_scopes_grant_nothing if {
	scopes.missing == "transactions:read" with input as {"action": "transactions:read", "subject": {"claims": {"scope": "  "}}}
	scopes.missing == "transactions:read" with input as {"action": "transactions:read", "subject": {"claims": {"scope": ""}}}
	scopes.missing == "transactions:read" with input as {"action": "transactions:read", "subject": {"claims": {}}}
	scopes.missing == "transactions:read" with input as {"action": "transactions:read", "subject": {"claims": {"scope": ["transactions:read"]}}}
}

test_deny_scopes_match_exactly_not_as_prefixes_or_parts if {
	every scope in [
		"transactions:reader", "transactions:rea", "xtransactions:read", "transactions:read:all",
		"Transactions:read", "transactions:read,accounts:read", "transactions:read\taudit:read",
	] {
		scopes.missing == "transactions:read" with input as {"action": "transactions:read", "subject": {"claims": {"scope": scope}}}
	}
}

test_allow_the_scope_anywhere_among_others if {
	every scope in ["transactions:read", " transactions:read", "a transactions:read", "transactions:read b", "a  transactions:read  b"] {
		not scopes.missing with input as {"action": "transactions:read", "subject": {"claims": {"scope": scope}}}
	}
}

test_deny_unknown_action_is_not_known if {
	not scopes.known_action with input as {"action": "transactions:export"}
}

test_deny_account_actions_need_the_account_scopes if {
	transactions_only := {"subject": {"claims": {"scope": "transactions:read transactions:write"}}}
	scopes.missing == "accounts:read" with input as object.union(transactions_only, {"action": "accounts:list"})
	scopes.missing == "accounts:read" with input as object.union(transactions_only, {"action": "accounts:read"})
	scopes.missing == "accounts:write" with input as object.union(transactions_only, {"action": "accounts:open"})
	scopes.missing == "accounts:write" with input as object.union(transactions_only, {"action": "accounts:freeze"})
	scopes.missing == "accounts:write" with input as object.union(transactions_only, {"action": "accounts:unfreeze"})
}
