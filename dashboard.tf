# The dashboard an operator opens first: what the runs did, why users failed, how old the oldest
# key in use is, and the last runs' summaries. Its metrics are those finish writes in its log
# (credentials_rotator.aws.metrics); the last runs come from finish's "run finished" log lines.

locals {
  dashboard_name = var.name
  # The CloudWatch console of the partition, for the dashboard's URL.
  console_host = lookup({
    aws-cn     = "console.amazonaws.cn"
    aws-us-gov = "console.amazonaws-us-gov.com"
  }, local.partition, "console.aws.amazon.com")
  dashboard_url = "https://${local.console_host}/cloudwatch/home?region=${local.region}#dashboards/dashboard/${local.dashboard_name}"

  run_metric = { namespace = local.metrics_namespace, dimensions = ["Rotator", var.name] }

  dashboard_widgets = [
    {
      type   = "metric"
      x      = 0
      y      = 0
      width  = 12
      height = 6
      properties = {
        title  = "Users per day"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 86400
        metrics = [
          for key in ["users_rotated", "users_skipped", "users_deferred", "users_failed"] :
          concat([local.run_metric.namespace, local.metric_names[key]], local.run_metric.dimensions)
        ]
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 0
      width  = 12
      height = 6
      properties = {
        title  = "Failed users by error"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 86400
        metrics = [[{
          id         = "failures"
          label      = ""
          expression = "SEARCH('{${local.metrics_namespace},Error,Rotator} Rotator=\"${var.name}\" MetricName=\"${local.metric_names.users_failed}\"', 'Sum', 86400)"
        }]]
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 6
      width  = 12
      height = 6
      properties = {
        title  = "Oldest key in use (days)"
        region = local.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 3600
        metrics = [
          concat([local.run_metric.namespace, local.metric_names.oldest_key_age], local.run_metric.dimensions),
        ]
        annotations = {
          horizontal = local.key_age_limit_days == null ? [] : [
            { label = "max_key_age_days", value = var.max_key_age_days },
            { label = "alarm: max_key_age_days + one schedule period", value = local.key_age_limit_days },
          ]
        }
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 6
      width  = 12
      height = 6
      properties = {
        title  = "Runs"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 86400
        metrics = [
          for name in ["ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] :
          ["AWS/States", name, "StateMachineArn", local.state_machine_arn]
        ]
      }
    },
    {
      type   = "log"
      x      = 0
      y      = 12
      width  = 24
      height = 6
      properties = {
        title  = "Last runs"
        region = local.region
        view   = "table"
        query  = "SOURCE '${aws_cloudwatch_log_group.function["finish"].name}' | filter message = 'run finished' | fields @timestamp, rotated, skipped, deferred, failed, planned, dry_run, oldest_key_age_days | sort @timestamp desc | limit 20"
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.create_dashboard ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
