# The names the functions give what they publish, for the module's own dashboard and alarm and for
# the rules and alarms of its users (outputs event_detail_types and metric_names). The functions
# define them (credentials_rotator.aws.notifications and credentials_rotator.aws.metrics); the Terraform
# tier holds these to them.

locals {
  # detail-type of the per-user EventBridge events, by what happened to the user.
  event_detail_types = {
    rotated  = "IAM Access Key Rotated"
    failed   = "IAM Access Key Rotation Failed"
    deferred = "IAM Access Key Retirement Deferred"
  }

  # CloudWatch metrics of a run, in local.metrics_namespace with dimension Rotator (the module's
  # name); users_failed also with dimension Error.
  metric_names = {
    users_rotated   = "UsersRotated"
    users_skipped   = "UsersSkipped"
    users_failed    = "UsersFailed"
    users_deferred  = "UsersDeferred"
    run_duration    = "RunDurationSeconds"
    oldest_key_age  = "OldestKeyAgeDays"
    events_not_sent = "EventsNotSent"
  }
}
