# METADATA
# title: The caller
# description: |
#   Who is asking, read from the verified access-token claims (ARCHITECTURE.md, Token claims):
#   a customer, a service client or staff with roles, possibly through an AI agent.
# related_resources:
#   - ref: https://www.rfc-editor.org/rfc/rfc9068
#     description: RFC 9068, JWT profile for OAuth 2.0 access tokens
package verdict.authz.caller

import data.verdict.config

# METADATA
# title: Claims
# description: The verified access-token claims.
claims := input.subject.claims

# METADATA
# title: Subject
# description: The `sub` claim.
sub := claims.sub

# METADATA
# title: Department
# description: The `department` claim (a customer's home branch, a staff member's department).
department := claims.department

# METADATA
# title: Home department
# description: |
#   The department a new account of the caller belongs to: the `department` claim, or the
#   default department in data when the token has none (a claim that is not a string is no
#   department).
# scope: document
home_department := department if is_string(department)

home_department := config.default_department if object.get(claims, "department", null) == null

# METADATA
# title: Roles
# description: Role names from the `roles` claim; absent or empty means a person without roles.
roles contains role if {
	some role in claims.roles
	is_string(role)
}

# METADATA
# title: Service client
# description: A client acting for itself, `sub == client_id` with no roles (policies/README.md, rule 7).
service_client if {
	claims.sub == claims.client_id
	count(roles) == 0
}

# METADATA
# title: Customer
# description: A person without roles (policies/README.md, rule 2).
customer if {
	count(roles) == 0
	not service_client
}

# METADATA
# title: AI agent
# description: The `agent` claim marks AI-agent traffic (policies/README.md, rule 8).
agent if is_object(claims.agent)

# METADATA
# title: Public-client agent
# description: |
#   An agent that cannot keep a secret can be impersonated: only an agent that says it is a
#   confidential client is trusted as one.
public_agent if {
	agent
	not claims.agent.client_type == "confidential"
}
