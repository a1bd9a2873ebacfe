# METADATA
# title: AI agents
# description: |
#   Rule 8: the limits an access token carries for AI-agent traffic — transaction_not_older_than
#   (days), transaction_amount_limit (minor units), excluded_categories. A transaction outside them
#   does not exist for the caller (not visible) and list_filter leaves it out. The limits apply
#   whenever the token carries them: a restriction the authorization server issued is never
#   ignored. Public-client agents never create above a threshold in data.
package verdict.authz.agents

import data.verdict.authz.caller
import data.verdict.authz.clock
import data.verdict.authz.request

_age_limited if caller.claims.transaction_not_older_than != null

_amount_limited if caller.claims.transaction_amount_limit != null

_categories_limited if caller.claims.excluded_categories != null

# The oldest `created_at` the token may see: `now` minus the days, to the second, in UTC.
cutoff := clock.format(time.add_date(clock.now_ns, 0, 0, 0 - days)) if {
	days := caller.claims.transaction_not_older_than
	is_number(days)
	days >= 0
	floor(days) == days
}

# Limits the existing transaction exceeds, as reason codes.
exceeded contains "agent_age_limit" if {
	request.existing_transaction
	_age_limited
	not _recent_enough
}

exceeded contains "agent_amount_limit" if {
	request.existing_transaction
	_amount_limited
	not _small_enough
}

exceeded contains "agent_category_excluded" if {
	request.existing_transaction
	_categories_limited
	not _category_allowed
}

_recent_enough if clock.parse(input.resource.created_at) >= clock.parse(cutoff)

_small_enough if {
	_amount_limit_usable
	is_number(input.resource.amount_minor)
	input.resource.amount_minor <= caller.claims.transaction_amount_limit
}

_category_allowed if {
	_excluded_categories_usable
	is_string(input.resource.category)
	not input.resource.category in caller.claims.excluded_categories
}

_amount_limit_usable if {
	is_number(caller.claims.transaction_amount_limit)
	floor(caller.claims.transaction_amount_limit) == caller.claims.transaction_amount_limit
}

_excluded_categories_usable if {
	is_array(caller.claims.excluded_categories)
	every category in caller.claims.excluded_categories {
		is_string(category)
	}
}

# A public-client agent proposes more than data allows for its currency.
create_limit_exceeded if {
	caller.public_agent
	request.proposal
	not _within_public_create_max
}

_within_public_create_max if {
	is_number(input.resource.amount_minor)
	input.resource.amount_minor <= data.verdict.config.agents.public_create_max[input.resource.currency]
}

# The same limits as store conditions, added to every list_filter clause.
filter["created_at_gte"] := cutoff if _age_limited

filter["amount_minor_lte"] := caller.claims.transaction_amount_limit if _amount_limited

filter["category_not_in"] := sort(caller.claims.excluded_categories) if _categories_limited

# A limit that cannot become a store condition hides every row, as reads of every row are denied.
unfilterable if {
	_age_limited
	not cutoff
}

unfilterable if {
	_amount_limited
	not _amount_limit_usable
}

unfilterable if {
	_categories_limited
	not _excluded_categories_usable
}
