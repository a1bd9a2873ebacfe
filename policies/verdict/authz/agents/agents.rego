# METADATA
# title: AI agents
# description: |
#   The limits an access token carries for AI-agent traffic (policies/README.md, rule 8) —
#   transaction_not_older_than
#   (integer days, or an RFC 3339 full-date), transaction_amount_limit (integer minor units, or a
#   string of digits), excluded_categories. They apply to every transaction the caller touches,
#   existing or proposed: an existing transaction outside them does not exist for the caller (not
#   visible) and list_filter leaves it out; a proposal outside them is denied. The limits apply
#   whenever the token carries them: a restriction the authorization server issued is never
#   ignored. Public-client agents never create above a threshold in data.
package verdict.authz.agents

import data.verdict.authz.caller
import data.verdict.authz.clock
import data.verdict.authz.request
import data.verdict.config

_age_limited if caller.claims.transaction_not_older_than != null

_amount_limited if caller.claims.transaction_amount_limit != null

_categories_limited if caller.claims.excluded_categories != null

# The token carries some limit (most carry none, and then nothing else here is asked).
_limited if _age_limited

_limited if _amount_limited

_limited if _categories_limited

# METADATA
# title: Age cutoff
# description: |
#   The oldest `created_at` the token may see, in UTC: `now` minus a whole number of days (at
#   most a hundred years), to the second, or the start (00:00:00Z) of an RFC 3339 full-date,
#   "2025-10-01", that is a calendar date.
# scope: document
cutoff := clock.format(_cutoff_ns)

# The same instant in nanoseconds, what decisions compare: days back from now are whole days of
# UTC, so no time built-in is needed. Like a timestamp, a cutoff is from 1800 on (clock.parse): an
# earlier one hides every transaction, in decisions and in list_filter alike.
_cutoff_ns := ns if {
	days := caller.claims.transaction_not_older_than
	is_number(days)
	days >= 0
	days <= _max_days
	floor(days) == days
	ns := clock.now_second_ns - (days * _ns_per_day)
	ns >= clock.earliest_ns
}

# A full-date is ten characters; with "T00:00:00Z" after them, they are a timestamp exactly when
# they are YYYY-MM-DD.
_cutoff_ns := clock.parse(concat("", [date, "T00:00:00Z"])) if {
	date := caller.claims.transaction_not_older_than
	is_string(date)
	count(date) == 10
}

_ns_per_day := (24 * 3600) * 1000000000

# A hundred years: from the first year `now` may be in (clock.parse), the cutoff stays within
# the instants int64 nanoseconds hold.
_max_days := 36500

# METADATA
# title: Amount limit
# description: |
#   The largest `amount_minor` the token may see: an integer, or a string of at most 15 digits
#   (so that the number is exact in every JSON reader the store uses).
# scope: document
amount_limit := limit if {
	limit := caller.claims.transaction_amount_limit
	is_number(limit)
	floor(limit) == limit
}

amount_limit := to_number(digits) if {
	digits := caller.claims.transaction_amount_limit
	is_string(digits)
	count(digits) >= 1
	count(digits) <= 15
	strings.replace_n(_digits_as_empty, digits) == ""
}

_digits_as_empty := {"0": "", "1": "", "2": "", "3": "", "4": "", "5": "", "6": "", "7": "", "8": "", "9": ""}

# METADATA
# title: Exceeded limits
# description: |
#   The limits the transaction — existing, or proposed (created now) — exceeds, as reason codes;
#   none for a request about no transaction.
exceeded(resource) := {code |
	_limited
	request.one_transaction(resource)
	some code in ["agent_age_limit", "agent_amount_limit", "agent_category_excluded"]
	_exceeds(code, resource)
}

_exceeds("agent_age_limit", transaction) if {
	_age_limited
	not _recent_enough(transaction)
}

_exceeds("agent_amount_limit", transaction) if {
	_amount_limited
	not _small_enough(transaction)
}

_exceeds("agent_category_excluded", transaction) if {
	_categories_limited
	not _category_allowed(transaction)
}

_recent_enough(transaction) if clock.parse(transaction.created_at) >= _cutoff_ns

_small_enough(transaction) if {
	is_number(transaction.amount_minor)
	transaction.amount_minor <= amount_limit
}

_category_allowed(transaction) if {
	_excluded_categories_usable
	is_string(transaction.category)
	not transaction.category in caller.claims.excluded_categories
}

_excluded_categories_usable if {
	is_array(caller.claims.excluded_categories)
	every category in caller.claims.excluded_categories {
		is_string(category)
	}
}

# METADATA
# title: Create limit exceeded
# description: A public-client agent proposes more than data allows for the transaction's currency.
create_limit_exceeded(transaction) if {
	caller.public_agent
	request.transaction_proposal
	not _within_public_create_max(transaction)
}

_within_public_create_max(transaction) if {
	is_number(transaction.amount_minor)
	transaction.amount_minor <= config.agents.public_create_max[transaction.currency]
}

# METADATA
# title: List conditions
# description: The same limits as store conditions, added to every list_filter clause.
# scope: document
list_conditions["created_at_gte"] := cutoff if _age_limited

list_conditions["amount_minor_lte"] := amount_limit if _amount_limited

list_conditions["category_not_in"] := sort(caller.claims.excluded_categories) if _categories_limited

# METADATA
# title: Unfilterable
# description: |
#   A limit the token carries cannot become a store condition: it hides every row, as reads of
#   every row are denied.
# scope: document
unfilterable if {
	_age_limited
	not cutoff
}

unfilterable if {
	_amount_limited
	not amount_limit
}

unfilterable if {
	_categories_limited
	not _excluded_categories_usable
}
