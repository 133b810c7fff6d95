output "role_arn" {
  description = "ARN of the role the hub assumes in this account."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the role: the hub's `member_role_name`, or the account's `role_name` in the hub's `accounts`."
  value       = aws_iam_role.this.name
}

output "policy_json" {
  description = "The role's permissions policy as JSON: the key actions on the listed and selected users, and the user listing when the hub selects users."
  value       = local.policy_json
}
