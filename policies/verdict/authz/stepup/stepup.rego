# METADATA
# title: Step-up authentication
# description: |
#   High-privilege actions need a recent strong authentication — `acr` in the configured set and
#   `auth_time` within `max_age` seconds of `now` (policies/data/step-up.yaml; policies/README.md,
#   rules 9 and 11).
# related_resources:
#   - ref: https://www.rfc-editor.org/rfc/rfc9470
#     description: RFC 9470, OAuth 2.0 step-up authentication challenge
package verdict.authz.stepup

import data.verdict.authz.caller
import data.verdict.authz.clock
import data.verdict.authz.request
import data.verdict.config

# METADATA
# title: Step-up required
# description: |
#   The action on the resource needs step-up: creating above the create threshold of the
#   transaction's currency (or in a currency without one), the actions that always need it
#   (deleting, freezing and unfreezing accounts), approving above the approve threshold, and any
#   write by an AI agent (explicit user approval).
# scope: document
required(transaction) if {
	request.transaction_proposal
	not _at_most(transaction, config.step_up.thresholds.create)
}

required(_) if input.action in config.step_up.always

required(transaction) if {
	input.action == "transactions:approve"
	not _at_most(transaction, config.step_up.thresholds.approve)
}

required(_) if {
	caller.agent
	input.action in request.write_actions
}

# The transaction's amount is at most the threshold of its currency.
_at_most(transaction, thresholds) if {
	is_number(transaction.amount_minor)
	transaction.amount_minor <= thresholds[transaction.currency]
}

# METADATA
# title: Step-up satisfied
# description: The user authenticated with a configured acr no more than max_age seconds ago.
satisfied if {
	caller.claims.acr in config.step_up.acr_values
	is_number(caller.claims.auth_time)
	clock.now_ns - (caller.claims.auth_time * 1000000000) <= config.step_up.max_age * 1000000000
}

# METADATA
# title: Challenge
# description: What the client must obtain (RFC 9470 WWW-Authenticate parameters).
challenge := {
	"acr_values": concat(" ", config.step_up.acr_values),
	"max_age": config.step_up.max_age,
}
