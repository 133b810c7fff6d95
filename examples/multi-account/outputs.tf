output "state_machine_arn" {
  description = "ARN of the rotation state machine in the hub."
  value       = module.hub.state_machine_arn
}

output "secret_names" {
  description = "Map of each listed user to the name of its secret in the hub: `<name>/<username>` for hub users, `<name>/<account_id>/<username>` for member users."
  value       = module.hub.secret_names
}

output "function_role_arns" {
  description = "ARNs of the hub's function roles that assume the member role."
  value       = module.hub.function_role_arns
}

output "member_role_arn" {
  description = "ARN of the role the hub assumes in the member account."
  value       = module.member_role.role_arn
}

output "member_role_policy_json" {
  description = "The member role's permissions policy, for review."
  value       = module.member_role.policy_json
}

output "preflight_command" {
  description = "AWS CLI command that starts a dry run across both accounts: run it after apply to see that the hub reaches the member account."
  value       = module.hub.preflight_command
}

output "start_rotation_command" {
  description = "AWS CLI command that starts a run now."
  value       = module.hub.start_rotation_command
}
