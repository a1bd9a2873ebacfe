# METADATA
# title: The caller
# description: |
#   Who is asking, read from the verified access-token claims (ARCHITECTURE.md, Token claims):
#   a customer, a service client or staff with roles, possibly through an AI agent.
package verdict.authz.caller

import data.verdict.config

claims := input.subject.claims

sub := claims.sub

department := claims.department

# The department a new account of the caller belongs to: the `department` claim, or the default
# department in data when the token has none (a claim that is not a string is no department).
home_department := department if is_string(department)

home_department := config.default_department if object.get(claims, "department", null) == null

# Role names from the `roles` claim; absent or empty means a person without roles.
roles contains role if {
	some role in claims.roles
	is_string(role)
}

# A service client acts for itself: `sub == client_id` and no roles (rule 7).
service_client if {
	claims.sub == claims.client_id
	count(roles) == 0
}

# A customer is a person without roles (rule 2).
customer if {
	count(roles) == 0
	not service_client
}

# The `agent` claim marks AI-agent traffic (rule 8).
agent if is_object(claims.agent)

# An agent that cannot keep a secret can be impersonated. Only an agent that says it is a
# confidential client is trusted as one.
public_agent if {
	agent
	not claims.agent.client_type == "confidential"
}
