output "name" {
  description = "The name given to the module."
  value       = var.name
}

output "aws_region" {
  description = "Region of the deployment."
  value       = data.aws_region.current.name
}

output "state_machine_arn" {
  description = "ARN of the rotation state machine."
  value       = module.credentials_rotator.state_machine_arn
}

output "schedule_arn" {
  description = "ARN of the schedule that starts runs."
  value       = module.credentials_rotator.schedule_arn
}

output "schedule_name" {
  description = "Name of the schedule (group `default`), for scheduler GetSchedule."
  value       = var.name
}

output "users_parameter_name" {
  description = "SSM parameter holding the users JSON."
  value       = module.credentials_rotator.users_parameter_name
}

output "user_names" {
  description = "IAM user names of the demo users, in the order of `demo_users`' keys."
  value       = [for user in aws_iam_user.demo : user.name]
}

output "user_arns" {
  description = "Map of demo IAM user name to ARN."
  value       = { for user in aws_iam_user.demo : user.name => user.arn }
}

output "secret_names" {
  description = "Map of each listed username to the name of the secret that holds its current key."
  value       = module.credentials_rotator.secret_names
}

output "secret_name_prefix" {
  description = "Prefix of the secrets' names."
  value       = module.credentials_rotator.secret_name_prefix
}

output "run_data_bucket" {
  description = "Bucket of the rotator's run data: each run's items, outcomes and full summary."
  value       = module.credentials_rotator.run_data_bucket
}

output "function_arns" {
  description = "ARNs of the rotator's functions."
  value       = module.credentials_rotator.function_arns
}

output "log_group_names" {
  description = "Every log group of the example: the rotator's and the consumer's (key `consumer`)."
  value       = merge(module.credentials_rotator.log_group_names, { consumer = aws_cloudwatch_log_group.consumer.name })
}

output "consumer_function_name" {
  description = "Name of the sample consumer function."
  value       = aws_lambda_function.consumer.function_name
}

output "consumer_function_arn" {
  description = "ARN of the sample consumer function."
  value       = aws_lambda_function.consumer.arn
}

output "received_parameter_prefix" {
  description = "The consumer records what it received for a user in the SSM parameter `<prefix><username>`."
  value       = local.received_parameter_prefix
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the secrets and the alarm topic."
  value       = aws_kms_key.this.arn
}

output "alarm_arn" {
  description = "ARN of the alarm on failed runs."
  value       = module.credentials_rotator.alarm_arn
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "start_rotation_command" {
  description = "AWS CLI command that starts a run now."
  value       = module.credentials_rotator.start_rotation_command
}

output "event_source" {
  description = "Source of the rotator's per-user events."
  value       = module.credentials_rotator.event_source
}

output "failed_rotation_rule_name" {
  description = "EventBridge rule that sends each failed rotation's event to the alarm topic."
  value       = aws_cloudwatch_event_rule.rotation_failed.name
}

output "dashboard_url" {
  description = "The rotator's CloudWatch dashboard."
  value       = module.credentials_rotator.dashboard_url
}

output "last_summary_command" {
  description = "Prints the last run's summary."
  value       = module.credentials_rotator.last_summary_command
}
