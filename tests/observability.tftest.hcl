# What the module tells people (issue: observability): the per-user events' grant, the metrics'
# alarm on the oldest key in use, the dashboard and the outputs that point to them.

# Account 123456789012, region us-east-1, partition aws: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name                    = "ci-keys"
  users                   = [{ username = "homer" }]
  credentials_handler_arn = "arn:aws:lambda:us-east-1:123456789012:function:key-consumer"
}

run "events_go_to_the_default_bus_with_the_modules_source_only" {
  command = plan

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s if s.Sid == "SendRunEvents"] == [{
      Sid       = "SendRunEvents"
      Effect    = "Allow"
      Action    = "events:PutEvents"
      Resource  = "arn:aws:events:us-east-1:123456789012:event-bus/default"
      Condition = { StringEquals = { "events:source" = "credentials-rotator.ci-keys" } }
    }]
    error_message = "finish may put events on the default bus, and only with the module's source."
  }

  assert {
    condition     = alltrue([for key, role in aws_iam_role_policy.function : key == "finish" || !strcontains(role.policy, "events:")])
    error_message = "Only finish sends events."
  }

  assert {
    condition     = output.event_source == "credentials-rotator.ci-keys" && output.event_bus_arn == "arn:aws:events:us-east-1:123456789012:event-bus/default"
    error_message = "The outputs name the events' source and bus for a rule's pattern."
  }
}

run "a_bus_arn_is_granted_as_it_is_and_null_turns_events_off" {
  command = plan

  variables {
    event_bus_name = "arn:aws:events:us-east-1:210987654321:event-bus/central"
  }

  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s.Resource if s.Sid == "SendRunEvents"]) == "arn:aws:events:us-east-1:210987654321:event-bus/central"
    error_message = "A bus given by ARN (here another account's) is the grant's resource."
  }

  assert {
    condition     = local.settings.event_bus_name == "arn:aws:events:us-east-1:210987654321:event-bus/central"
    error_message = "The functions send to the bus as given."
  }
}

run "null_sends_no_events" {
  command = plan

  variables {
    event_bus_name = null
  }

  assert {
    condition = (
      !strcontains(aws_iam_role_policy.function["finish"].policy, "events:PutEvents")
      && local.settings.event_bus_name == null
      && output.event_bus_arn == null
    )
    error_message = "With event_bus_name = null no event is sent and none may be."
  }
}

run "the_dashboard_shows_the_modules_metrics" {
  command = plan

  variables {
    max_key_age_days    = 90
    schedule_expression = "rate(1 day)"
  }

  assert {
    condition = alltrue([
      for metric in ["UsersRotated", "UsersSkipped", "UsersFailed", "UsersDeferred", "OldestKeyAgeDays"] :
      strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "\"${metric}\"")
    ])
    error_message = "The dashboard names every run metric the functions write."
  }

  assert {
    condition = (
      length(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets) == 5
      && alltrue([for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.region == "us-east-1"])
      && strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "{CredentialsRotator,Error,Rotator} Rotator=\\\"ci-keys\\\" MetricName=\\\"UsersFailed\\\"")
      && strcontains(aws_cloudwatch_dashboard.this[0].dashboard_body, "SOURCE '/aws/lambda/ci-keys-finish'")
    )
    error_message = "The dashboard body is JSON of five widgets in the module's region: failures by error name (a search on the Error dimension) and the last runs from finish's log."
  }

  assert {
    condition     = [for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.annotations.horizontal[*].value if w.properties.title == "Oldest key in use (days)"] == [[90, 91]]
    error_message = "The oldest key's age is drawn against max_key_age_days and the alarm's limit."
  }

  assert {
    condition     = output.dashboard_url == "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/ci-keys"
    error_message = "The dashboard's URL opens it in the module's region."
  }
}

run "no_dashboard_when_not_wanted" {
  command = plan

  variables {
    create_dashboard = false
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && output.dashboard_url == null
    error_message = "create_dashboard = false creates no dashboard."
  }
}

run "the_key_age_alarm_fires_past_the_age_plus_one_daily_period" {
  command = plan

  variables {
    max_key_age_days    = 90
    schedule_expression = "rate(1 day)"
    alarm_sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:alarms"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.key_age[0].threshold == 91
      && aws_cloudwatch_metric_alarm.key_age[0].comparison_operator == "GreaterThanThreshold"
      && aws_cloudwatch_metric_alarm.key_age[0].namespace == "CredentialsRotator"
      && aws_cloudwatch_metric_alarm.key_age[0].metric_name == "OldestKeyAgeDays"
      && aws_cloudwatch_metric_alarm.key_age[0].dimensions == tomap({ Rotator = "ci-keys" })
      && aws_cloudwatch_metric_alarm.key_age[0].statistic == "Maximum"
      && aws_cloudwatch_metric_alarm.key_age[0].treat_missing_data == "ignore"
      && aws_cloudwatch_metric_alarm.key_age[0].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:alarms"])
      && output.key_age_limit_days == 91
    )
    error_message = "With max_key_age_days 90 and a daily schedule, the alarm fires when the oldest key in use is over 91 days old, and notifies the alarm topic."
  }
}

run "a_weekly_cron_adds_a_week" {
  command = plan

  variables {
    max_key_age_days    = 30
    schedule_expression = "cron(0 3 ? * MON *)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.key_age[0].threshold == 37 && length(aws_cloudwatch_metric_alarm.key_age[0].alarm_actions) == 0
    error_message = "A cron() on days of the week leaves at most 7 days between runs; without a topic the alarm still shows its state."
  }
}

run "a_monthly_cron_adds_a_month" {
  command = plan

  variables {
    max_key_age_days    = 60
    schedule_expression = "cron(0 3 1 * ? *)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.key_age[0].threshold == 91
    error_message = "A cron() on a day of the month leaves at most 31 days between runs."
  }
}

run "no_key_age_alarm_without_an_age_or_when_turned_off" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.key_age) == 0 && output.key_age_limit_days == null && output.key_age_alarm_arn == null
    error_message = "Without max_key_age_days every run rotates everyone: no age to watch."
  }
}

run "the_key_age_alarm_can_be_turned_off" {
  command = plan

  variables {
    max_key_age_days = 90
    key_age_alarm    = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.key_age) == 0
    error_message = "key_age_alarm = false creates no key-age alarm."
  }
}

run "the_last_summary_is_one_command_away" {
  command = plan

  assert {
    condition     = output.last_summary_command == "aws s3 cp --region us-east-1 s3://ci-keys-123456789012-us-east-1-runs/last-summary.json -"
    error_message = "The last summary is read with one AWS CLI command."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s.Resource if s.Sid == "WriteLastSummary"] == [
      "arn:aws:s3:::ci-keys-123456789012-us-east-1-runs/last-summary.json"
    ]
    error_message = "finish may write the last summary's copy, and only that object outside runs/."
  }
}
