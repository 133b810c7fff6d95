locals {
  # A missed start is retried for at most one period of a rate() schedule (Scheduler accepts 60 s
  # to 24 h), and for 15 minutes with cron(). A retried start that overlaps a run is refused by the
  # plan function anyway.
  schedule_max_event_age_seconds = (
    local.rate_period_seconds == null ? 900 : max(60, min(900, coalesce(local.rate_period_seconds, 900)))
  )
}

resource "aws_scheduler_schedule" "this" {
  name                         = var.name
  description                  = "Starts a credentials rotation run of ${var.name}."
  group_name                   = "default"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.this.arn
    role_arn = aws_iam_role.service["schedule"].arn
    input    = jsonencode({})

    retry_policy {
      maximum_event_age_in_seconds = local.schedule_max_event_age_seconds
      maximum_retry_attempts       = 3
    }
  }

  depends_on = [aws_iam_role_policy.service["schedule"]]
}
