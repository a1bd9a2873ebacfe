package verdict.authz.agents_test

import data.verdict.authz.agents

_tx := {
	"type": "transaction", "id": "t1", "owner": "alice", "amount_minor": 12050,
	"currency": "EUR", "category": "groceries", "created_at": "2026-11-20T09:30:00Z",
}

_agent := {"sub": "alice", "client_id": "bot", "agent": {"id": "bot", "client_type": "public"}}

_input(limits) := {
	"subject": {"claims": object.union(_agent, limits)},
	"action": "transactions:read",
	"environment": {"now": "2026-11-23T10:00:00Z"},
}

# The limits a transaction exceeds for an agent with the given limits, on a read or on a create.
_exceeded(limits, transaction) := exceeded if {
	exceeded := agents.exceeded(transaction) with input as _input(limits)
}

_exceeded_on_create(limits, transaction) := exceeded if {
	create := object.union(_input(limits), {"action": "transactions:create"})
	exceeded := agents.exceeded(transaction) with input as create
}

_over_create_cap(transaction) if {
	agents.create_limit_exceeded(transaction) with input as object.union(_input({}), {"action": "transactions:create"})
}

test_allow_transaction_within_every_agent_limit if {
	limits := {"transaction_not_older_than": 4, "transaction_amount_limit": 12050, "excluded_categories": ["gambling"]}
	count(_exceeded(limits, _tx)) == 0
}

test_deny_transaction_older_than_the_days_limit if {
	limits := {"transaction_not_older_than": 3}
	_exceeded(limits, object.union(_tx, {"created_at": "2026-11-20T09:59:59Z"})) == {"agent_age_limit"}
	agents.cutoff == "2026-11-20T10:00:00Z" with input as _input(limits)
}

test_deny_amount_above_the_limit if {
	_exceeded({"transaction_amount_limit": 12049}, _tx) == {"agent_amount_limit"}
}

test_deny_transaction_in_an_excluded_category if {
	_exceeded({"excluded_categories": ["groceries"]}, _tx) == {"agent_category_excluded"}
}

test_deny_malformed_limits_exceed_and_hide_everything if {
	limits := {"transaction_not_older_than": "30d", "transaction_amount_limit": 1.5, "excluded_categories": "gambling"}
	every_limit := {"agent_age_limit", "agent_amount_limit", "agent_category_excluded"}
	_exceeded(limits, _tx) == every_limit
	agents.unfilterable with input as _input({"transaction_not_older_than": -1})
	agents.unfilterable with input as _input({"excluded_categories": [1]})
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
	} with input as _input(limits)
	not agents.unfilterable with input as _input(limits)
}

test_allow_date_limit_starts_at_midnight_utc if {
	limits := {"transaction_not_older_than": "2026-11-20"}
	agents.cutoff == "2026-11-20T00:00:00Z" with input as _input(limits)
	count(_exceeded(limits, object.union(_tx, {"created_at": "2026-11-20T00:00:00Z"}))) == 0
	earlier := object.union(_tx, {"created_at": "2026-11-19T23:59:59Z"})
	_exceeded(limits, earlier) == {"agent_age_limit"}
}

test_deny_age_limit_beyond_a_hundred_years if {
	agents.cutoff == "1926-12-18T10:00:00Z" with input as _input({"transaction_not_older_than": 36500})
	agents.unfilterable with input as _input({"transaction_not_older_than": 36501})
	agents.unfilterable with input as _input({"transaction_not_older_than": "1799-12-31"})
}

test_deny_date_limit_that_is_not_a_full_date if {
	not agents.cutoff with input as _input({"transaction_not_older_than": "2026-02-29"})
	not agents.cutoff with input as _input({"transaction_not_older_than": "2026-11-20T00:00:00Z"})
	not agents.cutoff with input as _input({"transaction_not_older_than": "30"})
	agents.unfilterable with input as _input({"transaction_not_older_than": "20261120"})
}

test_allow_amount_limit_as_a_string_of_digits if {
	agents.amount_limit == 12050 with input as _input({"transaction_amount_limit": "12050"})
	count(_exceeded({"transaction_amount_limit": "12050"}, _tx)) == 0
	_exceeded({"transaction_amount_limit": "12049"}, _tx) == {"agent_amount_limit"}
	agents.list_conditions == {"amount_minor_lte": 1000} with input as _input({"transaction_amount_limit": "1000"})
}

test_deny_amount_limit_strings_that_are_not_digits if {
	every limit in ["", "-1", "+5", "1e3", "1 000", "1000.0", "1234567890123456"] {
		not agents.amount_limit with input as _input({"transaction_amount_limit": limit})
		agents.unfilterable with input as _input({"transaction_amount_limit": limit})
	}
}

test_deny_proposal_outside_the_limits if {
	limits := {"transaction_amount_limit": 100000, "excluded_categories": ["gambling"]}
	proposal := object.union(_tx, {"amount_minor": 900000, "category": "gambling"})
	_exceeded_on_create(limits, proposal) == {"agent_amount_limit", "agent_category_excluded"}
}

test_deny_public_agent_create_above_the_cap if {
	_over_create_cap(object.union(_tx, {"amount_minor": 50001}))
	not _over_create_cap(object.union(_tx, {"amount_minor": 50000}))
}

test_deny_amount_limit_digits_other_than_ascii if {
	every limit in ["\u0663", "\uff11", "12a", "12\n", " 12"] {
		not agents.amount_limit with input as _input({"transaction_amount_limit": limit})
	}
}

test_deny_date_limit_not_in_the_full_date_layout if {
	every date in ["2026-1-20", "2026-11-2 ", "2026/11/20", "2026-11-20\n", "x026-11-20", "2026-11-20T", "02026-11-20"] {
		not agents.cutoff with input as _input({"transaction_not_older_than": date})
	}
}

test_allow_days_limit_counts_from_now_cut_to_the_second if {
	after_1970 := object.union(_input({"transaction_not_older_than": 1}), {"environment": {"now": "2026-11-23T10:00:00.75+01:00"}})
	agents.cutoff == "2026-11-22T09:00:00Z" with input as after_1970
	before_1970 := object.union(_input({"transaction_not_older_than": 1}), {"environment": {"now": "1969-12-31T23:59:59.5Z"}})
	agents.cutoff == "1969-12-30T23:59:59Z" with input as before_1970
	older := object.union(_tx, {"created_at": "1969-12-30T23:59:58.999Z"})
	agents.exceeded(older) == {"agent_age_limit"} with input as before_1970
	at_cutoff := object.union(_tx, {"created_at": "1969-12-30T23:59:59Z"})
	count(agents.exceeded(at_cutoff)) == 0 with input as before_1970
}

# Decisions could not compare a cutoff before 1800 and hid every transaction; list_filter must
# hide every row too, not list from the cutoff.
test_deny_days_limit_reaching_before_1800_hides_everything_in_lists_too if {
	early := object.union(_input({"transaction_not_older_than": 365}), {"environment": {"now": "1800-06-01T00:00:00Z"}})
	agents.exceeded(object.union(_tx, {"created_at": "1800-05-01T00:00:00Z"})) == {"agent_age_limit"} with input as early
	not agents.cutoff with input as early
	agents.unfilterable with input as early
	agents.cutoff == "1800-01-01T00:00:00Z" with input as object.union(early, {"subject": {"claims": {"transaction_not_older_than": 151}}})
}
