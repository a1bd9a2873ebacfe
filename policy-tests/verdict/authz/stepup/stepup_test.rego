package verdict.authz.stepup_test

import data.verdict.authz.stepup
import data.verdict.config

_input(claims, action) := {
	"subject": {"claims": object.union({"sub": "alice", "client_id": "web-app"}, claims)},
	"action": action,
	"environment": {"now": "2026-11-23T10:00:00Z"},
}

# Whether the action on a EUR transaction of `amount` needs step-up for a caller with `claims`.
_required(claims, action, amount) if {
	transaction := {"type": "transaction", "amount_minor": amount, "currency": "EUR"}
	stepup.required(transaction) with input as _input(claims, action)
}

test_deny_create_above_threshold_needs_step_up if {
	_required({}, "transactions:create", 1000001)
	not _required({}, "transactions:create", 1000000)
}

test_deny_approve_above_threshold_needs_step_up if {
	_required({}, "transactions:approve", 1000001)
	not _required({}, "transactions:approve", 1000000)
	not _required({}, "transactions:reject", 1000001)
}

test_deny_delete_and_agent_writes_need_step_up if {
	_required({}, "transactions:delete", 1)
	agent := {"agent": {"id": "bot", "client_type": "confidential"}}
	_required(agent, "transactions:update", 1)
	not _required(agent, "transactions:read", 1)
}

test_deny_freeze_and_unfreeze_always_need_step_up if {
	_required({}, "accounts:freeze", 0)
	_required({}, "accounts:unfreeze", 0)
	not _required({}, "accounts:open", 0)
	not _required({}, "accounts:read", 0)
}

test_deny_agent_account_writes_need_step_up if {
	agent := {"agent": {"id": "bot", "client_type": "public"}}
	_required(agent, "accounts:open", 0)
	not _required(agent, "accounts:list", 0)
}

test_allow_delete_without_step_up_when_data_does_not_list_it if {
	not _required({}, "transactions:delete", 1)
		with config.step_up.always as ["accounts:freeze"]
}

test_allow_recent_strong_authentication if {
	# auth_time 300 s before now is still within max_age.
	phr := {"acr": "urn:verdict:acr:phr", "auth_time": 1795427700}
	stepup.satisfied with input as _input(phr, "transactions:delete")
}

test_deny_stale_or_weak_authentication if {
	stale := {"acr": "urn:verdict:acr:mfa", "auth_time": 1795427699}
	not stepup.satisfied with input as _input(stale, "transactions:delete")
	weak := {"acr": "urn:verdict:acr:pwd", "auth_time": 1795428000}
	not stepup.satisfied with input as _input(weak, "transactions:delete")
	not stepup.satisfied with input as _input({"acr": "urn:verdict:acr:mfa"}, "transactions:delete")
}
