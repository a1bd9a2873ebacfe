package verdict.authz.duties_test

import data.verdict.authz.duties

test_deny_approving_own_transaction if {
	duties.violations == {"self_approval"} with input as {
		"action": "transactions:approve",
		"subject": {"claims": {"sub": "mia", "roles": ["manager"]}},
		"resource": {"owner": "mia"},
	}
}

test_deny_admin_never_approves_or_rejects if {
	duties.violations == {"admin_approval"} with input as {
		"action": "transactions:reject",
		"subject": {"claims": {"sub": "root", "roles": ["manager", "admin"]}},
		"resource": {"owner": "alice"},
	}
}

test_allow_no_duty_conflict_outside_approvals if {
	count(duties.violations) == 0 with input as {
		"action": "transactions:read",
		"subject": {"claims": {"sub": "root", "roles": ["admin"]}},
		"resource": {"owner": "root"},
	}
}
