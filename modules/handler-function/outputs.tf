output "function_arn" {
  description = "ARN of the handler's Lambda function: the rotator's `credentials_handler_arn`."
  value       = aws_lambda_function.this.arn
}

output "function_name" {
  description = "Name of the handler's Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "role_name" {
  description = "Name of the function's role: the rotator's `credentials_handler_role_name`, so that the rotator lets it read exactly the rotator's secrets."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "policy_json" {
  description = "The role's permissions policy as JSON: its own log group, the credential secrets (and their KMS key)."
  value       = jsonencode(local.policy)
}

output "environment" {
  description = "The function's environment variables: names, URLs and secret ARNs, never a secret value."
  value       = var.environment
}

output "users" {
  description = "The users the handler hands keys off for, by their names in the rotator."
  value       = sort(keys(var.targets_per_user))
}
