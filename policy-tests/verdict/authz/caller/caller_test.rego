package verdict.authz.caller_test

import data.verdict.authz.caller
import data.verdict.config

test_allow_no_roles_is_a_customer if {
	caller.customer with input.subject.claims as {"sub": "alice", "client_id": "web-app"}
	caller.customer with input.subject.claims as {"sub": "alice", "client_id": "web-app", "roles": []}
}

test_deny_service_client_is_not_a_customer if {
	claims := {"sub": "reporting", "client_id": "reporting", "roles": []}
	caller.service_client with input.subject.claims as claims
	not caller.customer with input.subject.claims as claims
}

test_deny_staff_with_client_id_as_sub_is_not_a_service_client if {
	not caller.service_client with input.subject.claims as {"sub": "x", "client_id": "x", "roles": ["admin"]}
}

test_allow_roles_ignore_non_strings if {
	caller.roles == {"admin"} with input.subject.claims as {"roles": ["admin", 7]}
}

test_deny_agent_without_client_type_is_public if {
	caller.public_agent with input.subject.claims as {"agent": {"id": "bot"}}
	not caller.public_agent with input.subject.claims as {"agent": {"id": "bot", "client_type": "confidential"}}
	not caller.agent with input.subject.claims as {"agent": "bot"}
}

test_allow_home_department_is_the_claim if {
	caller.home_department == "private" with input.subject.claims as {"sub": "alice", "department": "private"}
}

test_allow_home_department_without_a_claim_is_the_default if {
	caller.home_department == "retail" with input.subject.claims as {"sub": "alice"}
	caller.home_department == "retail" with input.subject.claims as {"sub": "alice", "department": null}
	caller.home_department == "online" with input.subject.claims as {"sub": "alice"}
		with config.default_department as "online"
}

test_deny_department_claim_that_is_not_a_string_is_no_home if {
	not caller.home_department with input.subject.claims as {"sub": "alice", "department": 7}
}
