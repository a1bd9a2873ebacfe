package verdict.authz.duties_test

import data.verdict.authz.duties

_violations(action, claims, transaction) := violations if {
	violations := duties.violations(transaction) with input as {"action": action, "subject": {"claims": claims}}
}

test_deny_approving_own_transaction if {
	manager := {"sub": "mia", "roles": ["manager"]}
	_violations("transactions:approve", manager, {"owner": "mia"}) == {"self_approval"}
}

test_deny_admin_never_approves_or_rejects if {
	root := {"sub": "root", "roles": ["manager", "admin"]}
	_violations("transactions:reject", root, {"owner": "alice"}) == {"admin_approval"}
}

test_allow_no_duty_conflict_outside_approvals if {
	count(_violations("transactions:read", {"sub": "root", "roles": ["admin"]}, {"owner": "root"})) == 0
}
