# METADATA
# title: Reasons
# description: The message of every reason code a decision can carry; codes are stable API.
package verdict.authz.reasons

# METADATA
# title: Messages
# description: Reason code → message; fixed strings, so decisions compare exactly.
messages := {
	"account_mismatch": "the transaction's owner or department is not its account's",
	"account_not_frozen": "the account is not frozen",
	"account_not_open": "the account is not open",
	"action_not_permitted": "no role of the caller permits this action",
	"admin_approval": "admins never approve or reject transactions (separation of duties)",
	"agent_age_limit": "the transaction is older than the agent may see",
	"agent_amount_limit": "the amount is above what the agent may see",
	"agent_category_excluded": "the agent may not see this category",
	"agent_create_limit": "a public-client agent may not create a transaction this large",
	"approval_limit_exceeded": "the amount is above the approval limit",
	"insufficient_scope": "the access token lacks the scope this action needs",
	"not_owner": "the transaction or account belongs to another customer",
	"not_pending": "the transaction is no longer pending",
	"other_department": "the transaction or account belongs to another department",
	"outside_business_hours": "the department is outside its business hours",
	"self_approval": "nobody approves or rejects their own transaction (separation of duties)",
	"step_up_required": "this action needs a recent strong authentication",
	"unknown_action": "the action is not one the policy knows",
	"unknown_department": "the department is not one the policy knows",
	"unsupported_resource": "the resource is not of the type the action is about",
}
