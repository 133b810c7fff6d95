output "state_machine_arn" {
  description = "ARN of the rotation state machine."
  value       = module.credentials_rotator.state_machine_arn
}

output "schedule_name" {
  description = "Name of the schedule (group `default`) that starts a run every day."
  value       = var.name
}

output "user_names" {
  description = "IAM user names of the demo users: deployer, releaser, publisher."
  value       = [for key in ["deployer", "releaser", "publisher"] : aws_iam_user.demo[key].name]
}

output "secret_names" {
  description = "Map of each demo user to the secret that holds its current key."
  value       = module.credentials_rotator.secret_names
}

output "run_data_bucket" {
  description = "Bucket of the rotator's run data."
  value       = module.credentials_rotator.run_data_bucket
}

output "log_group_names" {
  description = "Every log group of the example: the rotator's and the handler's (key `handler`)."
  value       = merge(module.credentials_rotator.log_group_names, { handler = module.github_actions.log_group_name })
}

output "handler_function_name" {
  description = "Name of the GitHub Actions handler's function."
  value       = module.github_actions.function_name
}

output "start_rotation_command" {
  description = "AWS CLI command that starts a run now."
  value       = module.credentials_rotator.start_rotation_command
}
