output "state_machine_arn" {
  description = "ARN of the state machine that runs a rotation; start it with `{}` or a run input (see On-demand rotation)."
  value       = aws_sfn_state_machine.this.arn
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that starts the runs."
  value       = aws_scheduler_schedule.this.arn
}

output "users_parameter_name" {
  description = "Name of the SSM parameter that holds the users JSON."
  value       = aws_ssm_parameter.users.name
}

output "secret_names" {
  description = "Map of each listed user to the name of the secret that holds its current access key (the rotator creates the secret at the user's first rotation); a member account's user is `<account_id>/<username>`."
  value       = { for name in local.rotated_user_names : name => "${local.secret_name_prefix}${name}" }
}

output "secret_name_prefix" {
  description = "Prefix of the secrets' names: a user's secret is `<secret_name_prefix><username>`."
  value       = local.secret_name_prefix
}

output "run_data_bucket" {
  description = "Name of the bucket that holds each run's items, outcomes and full summary under `runs/<execution name>/` (names and ids, never a secret); a large run's output points to its `summary.json` there."
  value       = aws_s3_bucket.run_data.bucket
}

output "function_arns" {
  description = "Map of the engine's Lambda function ARNs, keyed by entry point: `plan`, `read_records`, `rotate`, `roll_back`, `record_outcomes` and `finish`."
  value       = { for key, function in aws_lambda_function.this : key => function.arn }
}

output "log_group_names" {
  description = "Map of the log groups the module creates, keyed like `function_arns` plus `state_machine`."
  value = merge(
    { for key, group in aws_cloudwatch_log_group.function : key => group.name },
    { state_machine = aws_cloudwatch_log_group.state_machine.name },
  )
}

output "credentials_handler_policy_json" {
  description = "IAM policy (JSON) the credentials handler's role needs to read this module's secrets; attach it yourself when `credentials_handler_role_name` is null."
  value       = jsonencode(local.credentials_handler_policy)
}

output "alarm_arn" {
  description = "ARN of the alarm on failed and timed-out runs; null when `alarm_sns_topic_arn` is null."
  value       = one(aws_cloudwatch_metric_alarm.failed_runs[*].arn)
}

output "start_rotation_command" {
  description = "AWS CLI command that starts a rotation run now, with the schedule's input `{}`."
  value       = "aws stepfunctions start-execution --region ${local.region} --state-machine-arn ${aws_sfn_state_machine.this.arn} --input '{}'"
}

output "preflight_command" {
  description = "AWS CLI command that starts a dry run across every account: it lists the users each account selects, reads their keys through the member roles and changes nothing. A member account whose role cannot be assumed shows as AccountUnreachable in the summary (`last_summary_command`)."
  value       = "aws stepfunctions start-execution --region ${local.region} --state-machine-arn ${aws_sfn_state_machine.this.arn} --input '{\"dryRun\": true}'"
}

output "function_role_arns" {
  description = "ARNs of the function roles that act on member accounts' keys: the roles `modules/member-role` trusts (its `hub_role_arns`). Empty without member accounts."
  value       = [for key in local.member_functions : aws_iam_role.function[key].arn]
}

output "member_role_arns" {
  description = "Map of each member account id to the role its functions assume there (`modules/member-role` creates it)."
  value       = local.member_role_arns
}

output "last_summary_command" {
  description = "AWS CLI command that prints the last finished run's summary (JSON): every user's outcome, the counts and the oldest key in use. The run's execution keeps the same summary (cut to fit when large)."
  value       = "aws s3 cp --region ${local.region} s3://${aws_s3_bucket.run_data.bucket}/${local.last_summary_key} -"
}

output "event_source" {
  description = "Source of the per-user events (`credentials-rotator.<name>`), for an EventBridge rule's pattern."
  value       = local.event_source
}

output "event_detail_types" {
  description = "`detail-type` of the per-user events, for an EventBridge rule's pattern: `rotated`, `failed`, `deferred`."
  value       = local.event_detail_types
}

output "event_bus_arn" {
  description = "ARN of the bus that receives the per-user events; null when `event_bus_name` is null."
  value       = local.event_bus_arn
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the run metrics (dimension `Rotator` = the module's name): `UsersRotated`, `UsersSkipped`, `UsersFailed` (also by `Error`), `UsersDeferred`, `RunDurationSeconds`, `OldestKeyAgeDays`, `EventsNotSent` (output `metric_names`)."
  value       = local.metrics_namespace
}

output "metric_names" {
  description = "Names of the run metrics in `metrics_namespace`, for alarms: `users_rotated`, `users_skipped`, `users_failed` (also by dimension `Error`), `users_deferred`, `run_duration` (seconds), `oldest_key_age` (days), `events_not_sent`."
  value       = local.metric_names
}

output "dashboard_url" {
  description = "URL of the module's CloudWatch dashboard; null when `create_dashboard` is false."
  value       = var.create_dashboard ? local.dashboard_url : null
}

output "key_age_alarm_arn" {
  description = "ARN of the alarm on the oldest key in use; null when there is none (`key_age_alarm`)."
  value       = one(aws_cloudwatch_metric_alarm.key_age[*].arn)
}

output "key_age_limit_days" {
  description = "Age in days above which the key-age alarm fires: `max_key_age_days` plus the longest time the schedule leaves between two runs; null without `max_key_age_days`."
  value       = local.key_age_limit_days
}
