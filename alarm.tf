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
