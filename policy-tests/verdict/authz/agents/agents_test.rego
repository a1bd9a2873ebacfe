package verdict.authz.agents_test

import data.verdict.authz.agents

_tx := {
	"type": "transaction", "id": "t1", "owner": "alice", "amount_minor": 12050,
	"currency": "EUR", "category": "groceries", "created_at": "2026-11-20T09:30:00Z",
}

_agent := {"sub": "alice", "client_id": "bot", "agent": {"id": "bot", "client_type": "public"}}

_input(limits, resource) := {
	"subject": {"claims": object.union(_agent, limits)},
	"action": "transactions:read",
	"resource": resource,
	"environment": {"now": "2026-11-23T10:00:00Z"},
}

test_allow_within_every_limit if {
	limits := {"transaction_not_older_than": 4, "transaction_amount_limit": 12050, "excluded_categories": ["gambling"]}
	count(agents.exceeded) == 0 with input as _input(limits, _tx)
}

test_deny_older_than_the_days if {
	req := _input({"transaction_not_older_than": 3}, object.union(_tx, {"created_at": "2026-11-20T09:59:59Z"}))
	agents.exceeded == {"agent_age_limit"} with input as req
	agents.cutoff == "2026-11-20T10:00:00Z" with input as req
}

test_deny_amount_above_the_limit if {
	agents.exceeded == {"agent_amount_limit"} with input as _input({"transaction_amount_limit": 12049}, _tx)
}

test_deny_excluded_category if {
	agents.exceeded == {"agent_category_excluded"} with input as _input({"excluded_categories": ["groceries"]}, _tx)
}

test_deny_malformed_limits_hide_everything if {
	limits := {"transaction_not_older_than": "30d", "transaction_amount_limit": 1.5, "excluded_categories": "gambling"}
	every_limit := {"agent_age_limit", "agent_amount_limit", "agent_category_excluded"}
	agents.exceeded == every_limit with input as _input(limits, _tx)
	agents.unfilterable with input as _input({"transaction_not_older_than": -1}, _tx)
	agents.unfilterable with input as _input({"excluded_categories": [1]}, _tx)
}

test_allow_list_conditions_mirror_the_limits if {
	limits := {
		"transaction_not_older_than": 30,
		"transaction_amount_limit": 100,
		"excluded_categories": ["travel", "crypto"],
	}
	agents.list_conditions == {
		"created_at_gte": "2026-10-24T10:00:00Z",
		"amount_minor_lte": 100,
		"category_not_in": ["crypto", "travel"],
	} with input as _input(limits, null)
	not agents.unfilterable with input as _input(limits, null)
}

test_allow_date_limit_starts_at_midnight_utc if {
	req := _input({"transaction_not_older_than": "2026-11-20"}, object.union(_tx, {"created_at": "2026-11-20T00:00:00Z"}))
	agents.cutoff == "2026-11-20T00:00:00Z" with input as req
	count(agents.exceeded) == 0 with input as req
	earlier := object.union(_tx, {"created_at": "2026-11-19T23:59:59Z"})
	agents.exceeded == {"agent_age_limit"} with input as _input({"transaction_not_older_than": "2026-11-20"}, earlier)
}

test_deny_age_limit_beyond_a_hundred_years if {
	agents.cutoff == "1926-12-18T10:00:00Z" with input as _input({"transaction_not_older_than": 36500}, _tx)
	agents.unfilterable with input as _input({"transaction_not_older_than": 36501}, _tx)
	agents.unfilterable with input as _input({"transaction_not_older_than": "1799-12-31"}, _tx)
}

test_deny_date_limit_that_is_not_a_full_date if {
	not agents.cutoff with input as _input({"transaction_not_older_than": "2026-02-29"}, _tx)
	not agents.cutoff with input as _input({"transaction_not_older_than": "2026-11-20T00:00:00Z"}, _tx)
	not agents.cutoff with input as _input({"transaction_not_older_than": "30"}, _tx)
	agents.unfilterable with input as _input({"transaction_not_older_than": "20261120"}, _tx)
}

test_allow_amount_limit_as_a_string_of_digits if {
	agents.amount_limit == 12050 with input as _input({"transaction_amount_limit": "12050"}, _tx)
	count(agents.exceeded) == 0 with input as _input({"transaction_amount_limit": "12050"}, _tx)
	agents.exceeded == {"agent_amount_limit"} with input as _input({"transaction_amount_limit": "12049"}, _tx)
	agents.list_conditions == {"amount_minor_lte": 1000} with input as _input({"transaction_amount_limit": "1000"}, null)
}

test_deny_amount_limit_strings_that_are_not_digits if {
	every limit in ["", "-1", "+5", "1e3", "1 000", "1000.0", "1234567890123456"] {
		not agents.amount_limit with input as _input({"transaction_amount_limit": limit}, _tx)
		agents.unfilterable with input as _input({"transaction_amount_limit": limit}, _tx)
	}
}

test_deny_proposal_outside_the_limits if {
	limits := {"transaction_amount_limit": 100000, "excluded_categories": ["gambling"]}
	proposal := object.union(_tx, {"amount_minor": 900000, "category": "gambling"})
	create := object.union(_input(limits, proposal), {"action": "transactions:create"})
	agents.exceeded == {"agent_amount_limit", "agent_category_excluded"} with input as create
}

test_deny_public_agent_create_above_the_cap if {
	create := object.union(_input({}, object.union(_tx, {"amount_minor": 50001})), {"action": "transactions:create"})
	agents.create_limit_exceeded with input as create
	at_cap := object.union(_input({}, object.union(_tx, {"amount_minor": 50000})), {"action": "transactions:create"})
	not agents.create_limit_exceeded with input as at_cap
}
