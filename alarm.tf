locals {
  # The longest a schedule may leave between two runs, in days: a rate()'s period; for a cron(),
  # a bound read from its fields (any day: 1, days of the week: 7, days of the month: 31,
  # chosen months or years: 366).
  cron_fields = regexall("^cron\\(([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+) ([^ ]+)\\)$", var.schedule_expression)
  cron_period_days = length(local.cron_fields) == 0 ? null : (
    local.cron_fields[0][3] != "*" || local.cron_fields[0][5] != "*" ? 366
    : !contains(["*", "?"], local.cron_fields[0][2]) ? 31
    : !contains(["*", "?"], local.cron_fields[0][4]) ? 7
    : 1
  )
  schedule_period_days = local.rate_period_seconds != null ? local.rate_period_seconds / 86400 : local.cron_period_days

  # "No key older than max_key_age_days": a user is rotated at the first run after its key reaches
  # that age, so a key older than the age plus one schedule period is one the rotator failed to
  # replace.
  key_age_alarm      = coalesce(var.key_age_alarm, var.max_key_age_days != null)
  key_age_limit_days = var.max_key_age_days == null ? null : var.max_key_age_days + local.schedule_period_days
}

resource "aws_cloudwatch_metric_alarm" "failed_runs" {
  count = var.alarm_sns_topic_arn == null ? 0 : 1

  alarm_name          = "${var.name}-failed-runs"
  alarm_description   = "A credentials rotation run of ${var.name} failed or timed out; the failed execution's cause holds the run summary."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_sns_topic_arn]

  metric_query {
    id          = "failed_or_timed_out"
    expression  = "FILL(failed, 0) + FILL(timed_out, 0)"
    label       = "Failed or timed-out runs"
    return_data = true
  }

  metric_query {
    id = "failed"
    metric {
      namespace   = "AWS/States"
      metric_name = "ExecutionsFailed"
      dimensions  = { StateMachineArn = aws_sfn_state_machine.this.arn }
      period      = 300
      stat        = "Sum"
    }
  }

  metric_query {
    id = "timed_out"
    metric {
      namespace   = "AWS/States"
      metric_name = "ExecutionsTimedOut"
      dimensions  = { StateMachineArn = aws_sfn_state_machine.this.arn }
      period      = 300
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "key_age" {
  count = local.key_age_alarm ? 1 : 0

  alarm_name        = "${var.name}-key-age"
  alarm_description = "A run of ${var.name} found a key in use older than ${coalesce(local.key_age_limit_days, 0)} days (max_key_age_days ${coalesce(var.max_key_age_days, 0)} plus one schedule period): that user's rotation keeps failing. The run's summary names the user (oldestKey)."
  namespace         = local.metrics_namespace
  metric_name       = local.metric_names.oldest_key_age
  dimensions        = { Rotator = var.name }
  statistic         = "Maximum"
  # Runs write the metric once each: an hour without a run keeps the alarm as the last run left it.
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = coalesce(local.key_age_limit_days, 0)
  treat_missing_data  = "ignore"
  alarm_actions       = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  ok_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  tags = var.tags
}
