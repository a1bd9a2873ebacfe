package verdict.authz.reasons_test

import data.verdict.authz.reasons

test_allow_every_reason_code_is_snake_case_with_a_message if {
	every code, message in reasons.messages {
		regex.match(`^[a-z_]+$`, code)
		count(message) > 10
	}
}

test_allow_account_codes_have_messages if {
	every code in ["account_not_open", "account_not_frozen", "unknown_department", "unsupported_resource"] {
		reasons.messages[code]
	}
}
