# Every bad input fails at plan time with a message a person understands (variables.tf).

# Account 123456789012, region us-east-1, partition aws: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name                    = "ci-keys"
  users                   = [{ username = "homer" }, { username = "bart", metadata = "school" }]
  credentials_handler_arn = "arn:aws:lambda:us-east-1:123456789012:function:key-consumer"
}

# --- accepted edge cases ----------------------------------------------------------------------

run "accepts_the_widest_valid_inputs" {
  command = plan

  # The handler must be in the module's account and region: plan in GovCloud for this run.
  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-us-gov" }
  }
  override_data {
    target = data.aws_region.current
    values = { name = "us-gov-west-1" }
  }

  variables {
    name = "A_${replace(format("%46s", ""), " ", "x")}"
    users = [
      { username = "a+b=c.d@e-f_g" },
      { username = replace(format("%64s", ""), " ", "u") },
    ]
    credentials_handler_arn        = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:consumer:live"
    credentials_handler_role_name  = "consumer-role+=,.@_"
    schedule_expression            = "rate(15 minutes)"
    cleanup_wait_seconds           = 899
    max_key_age_days               = 1
    max_concurrency                = 200
    verify_new_key_timeout_seconds = 180
    log_retention_days             = 0
  }
}

run "accepts_a_cron_schedule_with_any_wait" {
  command = plan

  variables {
    schedule_expression            = "cron(0 3 ? * MON-FRI *)"
    schedule_timezone              = "America/Argentina/Buenos_Aires"
    cleanup_wait_seconds           = 86400
    verify_new_key_timeout_seconds = 5
  }
}

# --- name ------------------------------------------------------------------------------------

run "rejects_a_name_with_invalid_characters" {
  command = plan
  variables {
    name = "ci keys"
  }
  expect_failures = [var.name]
}

run "rejects_a_name_too_long_for_function_names" {
  command = plan
  variables {
    name = replace(format("%49s", ""), " ", "n")
  }
  expect_failures = [var.name]
}

run "rejects_a_name_that_ssm_reserves" {
  command = plan
  variables {
    name = "AWS-keys"
  }
  expect_failures = [var.name]
}

# --- users -----------------------------------------------------------------------------------

run "rejects_an_invalid_username" {
  command = plan
  variables {
    users = [{ username = "homer simpson" }]
  }
  expect_failures = [var.users]
}

run "rejects_a_username_with_a_comma" {
  command = plan
  variables {
    users = [{ username = "homer,bart" }]
  }
  expect_failures = [var.users]
}

run "rejects_a_username_longer_than_64" {
  command = plan
  variables {
    users = [{ username = replace(format("%65s", ""), " ", "u") }]
  }
  expect_failures = [var.users]
}

run "rejects_duplicate_usernames_whatever_their_case" {
  command = plan
  variables {
    users = [{ username = "homer" }, { username = "Homer", metadata = "again" }]
  }
  expect_failures = [var.users]
}

run "rejects_users_over_8_kb_of_json" {
  command = plan
  variables {
    users = [for i in range(3) : { username = "user${i}", metadata = replace(format("%2800s", ""), " ", "m") }]
  }
  expect_failures = [aws_ssm_parameter.users]
}

run "rejects_users_over_8_kb_counted_in_bytes_not_characters" {
  command = plan
  variables {
    # 2100 two-byte characters per user: 4200 characters but 8400 bytes.
    users = [for i in range(2) : { username = "user${i}", metadata = replace(format("%2100s", ""), " ", "é") }]
  }
  expect_failures = [aws_ssm_parameter.users]
}

# --- schedule and waits ------------------------------------------------------------------------

run "rejects_an_expression_that_is_neither_rate_nor_cron" {
  command = plan
  variables {
    schedule_expression = "every hour"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_one_shot_at_expression" {
  command = plan
  variables {
    schedule_expression = "at(2030-01-01T00:00:00)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_zero_rate" {
  command = plan
  variables {
    schedule_expression = "rate(0 minutes)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_plural_unit_for_one" {
  command = plan
  variables {
    schedule_expression = "rate(1 hours)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_without_six_fields" {
  command = plan
  variables {
    schedule_expression = "cron(0 3 * * *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_an_invalid_timezone" {
  command = plan
  variables {
    schedule_timezone = "Mars Base One"
  }
  expect_failures = [var.schedule_timezone]
}

run "rejects_a_wait_as_long_as_the_rate_period" {
  command = plan
  variables {
    schedule_expression  = "rate(15 minutes)"
    cleanup_wait_seconds = 900
  }
  expect_failures = [var.cleanup_wait_seconds]
}

run "rejects_a_wait_longer_than_the_rate_period" {
  command = plan
  variables {
    schedule_expression  = "rate(1 day)"
    cleanup_wait_seconds = 90000
  }
  expect_failures = [var.cleanup_wait_seconds]
}

# --- schedule vs Secrets Manager's version quota: at most four runs an hour ------------------------
# Each run writes a secret version per user; Secrets Manager removes unlabelled versions beyond 100
# only once they are 24 hours old, so more than about 100 runs a day would fail every user's write.

run "accepts_a_cron_every_15_minutes" {
  command = plan
  variables {
    schedule_expression = "cron(*/15 * * * ? *)"
  }
}

run "accepts_a_cron_of_four_listed_minutes" {
  command = plan
  variables {
    schedule_expression = "cron(0,15,30,45 8-18 ? * MON-FRI *)"
  }
}

run "accepts_a_cron_of_a_four_minute_range" {
  command = plan
  variables {
    schedule_expression = "cron(0-3 * * * ? *)"
  }
}

run "accepts_a_cron_range_with_an_increment_of_four_minutes" {
  command = plan
  variables {
    # 5, 20, 35 and 50.
    schedule_expression = "cron(5-50/15 * * * ? *)"
  }
}

run "accepts_a_cron_increment_from_a_start_minute" {
  command = plan
  variables {
    # 0, 15, 30 and 45: the example of the error message.
    schedule_expression = "cron(0/15 * * * ? *)"
  }
}

run "accepts_a_cron_naming_four_minutes_more_than_once" {
  command = plan
  variables {
    # Six values, four distinct minutes.
    schedule_expression = "cron(0,1,0-3,3 * * * ? *)"
  }
}

run "accepts_a_cron_range_of_four_minutes_wrapping_past_the_hour" {
  command = plan
  variables {
    # 58, 59, 0 and 1: a range whose end is below its start is counted as wrapping past 59.
    schedule_expression = "cron(58-1 * * * ? *)"
  }
}

run "rejects_a_rate_under_15_minutes" {
  command = plan
  variables {
    schedule_expression = "rate(14 minutes)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_rate_of_one_minute" {
  command = plan
  variables {
    schedule_expression = "rate(1 minute)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_every_minute" {
  command = plan
  variables {
    schedule_expression = "cron(* * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_every_ten_minutes" {
  command = plan
  variables {
    schedule_expression = "cron(*/10 * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_of_five_listed_minutes_in_one_hour" {
  command = plan
  variables {
    # Once a day, but five runs within that hour.
    schedule_expression = "cron(0,10,20,30,40 3 * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_range_of_five_minutes" {
  command = plan
  variables {
    schedule_expression = "cron(0-4 * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_increment_from_a_start_minute" {
  command = plan
  variables {
    # 1, 11, 21, 31, 41 and 51.
    schedule_expression = "cron(1/10 * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_range_with_an_increment_of_five_minutes" {
  command = plan
  variables {
    schedule_expression = "cron(0-40/10 * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_range_wrapping_past_the_hour" {
  command = plan
  variables {
    # 58, 59, 0, 1 and 2.
    schedule_expression = "cron(58-2 * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_cron_minutes_field_it_cannot_count" {
  command = plan
  variables {
    # Minutes take , - * / only.
    schedule_expression = "cron(? * * * ? *)"
  }
  expect_failures = [var.schedule_expression]
}

run "rejects_a_negative_wait" {
  command = plan
  variables {
    cleanup_wait_seconds = -1
  }
  expect_failures = [var.cleanup_wait_seconds]
}

run "rejects_a_fractional_wait" {
  command = plan
  variables {
    cleanup_wait_seconds = 1.5
  }
  expect_failures = [var.cleanup_wait_seconds]
}

# --- rotation policy ----------------------------------------------------------------------------

run "rejects_an_unknown_old_key_action" {
  command = plan
  variables {
    old_key_action = "disable"
  }
  expect_failures = [var.old_key_action]
}

run "rejects_a_max_key_age_below_one_day" {
  command = plan
  variables {
    max_key_age_days = 0
  }
  expect_failures = [var.max_key_age_days]
}

run "rejects_a_new_key_time_limit_below_five_seconds" {
  command = plan
  variables {
    verify_new_key_timeout_seconds = 4
  }
  expect_failures = [var.verify_new_key_timeout_seconds]
}

run "rejects_a_new_key_time_limit_the_rotate_function_cannot_wait" {
  command = plan
  variables {
    verify_new_key_timeout_seconds = 181
  }
  expect_failures = [var.verify_new_key_timeout_seconds]
}

run "rejects_a_fractional_new_key_time_limit" {
  command = plan
  variables {
    verify_new_key_timeout_seconds = 7.5
  }
  expect_failures = [var.verify_new_key_timeout_seconds]
}

run "rejects_an_unknown_in_use_key_action" {
  command = plan
  variables {
    in_use_key_action = "ignore"
  }
  expect_failures = [var.in_use_key_action]
}

run "rejects_zero_deferrals" {
  command = plan
  variables {
    max_deferrals = 0
  }
  expect_failures = [var.max_deferrals]
}

run "rejects_a_fractional_number_of_deferrals" {
  command = plan
  variables {
    max_deferrals = 2.5
  }
  expect_failures = [var.max_deferrals]
}

run "rejects_a_negative_last_use_delay" {
  command = plan
  variables {
    last_use_delay_seconds = -1
  }
  expect_failures = [var.last_use_delay_seconds]
}

run "rejects_a_fractional_last_use_delay" {
  command = plan
  variables {
    last_use_delay_seconds = 60.5
  }
  expect_failures = [var.last_use_delay_seconds]
}

run "rejects_a_last_use_delay_over_a_week" {
  command = plan
  variables {
    last_use_delay_seconds = 604801
  }
  expect_failures = [var.last_use_delay_seconds]
}

run "rejects_a_concurrency_of_zero" {
  command = plan
  variables {
    max_concurrency = 0
  }
  expect_failures = [var.max_concurrency]
}

run "rejects_a_concurrency_above_200" {
  command = plan
  variables {
    max_concurrency = 201
  }
  expect_failures = [var.max_concurrency]
}

# --- ARNs of the wrong service, account or region -----------------------------------------------------------------

run "rejects_a_handler_that_is_not_a_lambda_function" {
  command = plan
  variables {
    credentials_handler_arn = "arn:aws:sns:us-east-1:123456789012:key-consumer"
  }
  expect_failures = [var.credentials_handler_arn]
}

run "rejects_a_handler_in_another_account" {
  command = plan
  variables {
    # The mocked account is 123456789012.
    credentials_handler_arn = "arn:aws:lambda:us-east-1:210987654321:function:key-consumer"
  }
  expect_failures = [var.credentials_handler_arn]
}

run "rejects_a_handler_in_another_region" {
  command = plan
  variables {
    # The mocked region is us-east-1.
    credentials_handler_arn = "arn:aws:lambda:eu-west-1:123456789012:function:key-consumer:live"
  }
  expect_failures = [var.credentials_handler_arn]
}

run "rejects_a_handler_role_given_as_an_arn" {
  command = plan
  variables {
    credentials_handler_role_name = "arn:aws:iam::123456789012:role/consumer"
  }
  expect_failures = [var.credentials_handler_role_name]
}

run "rejects_a_kms_alias_instead_of_a_key" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/secrets"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_a_kms_key_of_another_service" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:lambda:us-east-1:123456789012:function:key"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_a_kms_key_in_another_region" {
  command = plan
  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_an_alarm_target_that_is_not_an_sns_topic" {
  command = plan
  variables {
    alarm_sns_topic_arn = "arn:aws:sqs:us-east-1:123456789012:alarms"
  }
  expect_failures = [var.alarm_sns_topic_arn]
}

# --- the rest ------------------------------------------------------------------------------------

run "rejects_a_retention_cloudwatch_does_not_offer" {
  command = plan
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_a_runtime_that_is_not_python" {
  command = plan
  variables {
    lambda_runtime = "nodejs20.x"
  }
  expect_failures = [var.lambda_runtime]
}

run "rejects_a_python_runtime_older_than_3_11" {
  command = plan
  variables {
    lambda_runtime = "python3.9"
  }
  expect_failures = [var.lambda_runtime]
}

run "rejects_tags_in_the_aws_namespace" {
  command = plan
  variables {
    tags = { "aws:owner" = "me" }
  }
  expect_failures = [var.tags]
}

run "rejects_fifty_tags_leaving_no_room_for_the_rotators_own" {
  command = plan
  variables {
    tags = { for i in range(50) : "t${i}" => "" }
  }
  expect_failures = [var.tags]
}

run "accepts_forty_nine_tags" {
  command = plan
  variables {
    tags = { for i in range(49) : "t${i}" => "" }
  }
}

run "rejects_tags_too_large_for_the_environment" {
  command = plan
  variables {
    tags = { for i in range(20) : "tag-${i}" => replace(format("%200s", ""), " ", "v") }
  }
  expect_failures = [aws_lambda_function.this]
}

# --- selecting users at run time ------------------------------------------------------------------

run "accepts_the_widest_valid_selection" {
  command = plan

  variables {
    user_path_prefix = "/${replace(format("%510s", ""), " ", "p")}/"
    user_tag         = { key = "Équipe:ci/rotate=+-@_. 1", value = "" }
    exclude_users    = ["smith,john", replace(format("%64s", ""), " ", "u"), "a+b=c.d@e-f_g"]
  }
}

run "accepts_the_root_path_and_a_tag_without_value" {
  command = plan

  variables {
    user_path_prefix = "/"
    user_tag         = { key = "rotate" }
  }
}

run "rejects_a_path_prefix_without_leading_slash" {
  command = plan
  variables {
    user_path_prefix = "ci/"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_a_path_prefix_without_trailing_slash" {
  command = plan
  variables {
    user_path_prefix = "/ci"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_a_path_prefix_with_a_space" {
  command = plan
  variables {
    user_path_prefix = "/ci tools/"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_a_path_prefix_longer_than_512" {
  command = plan
  variables {
    user_path_prefix = "/${replace(format("%511s", ""), " ", "p")}/"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_a_path_prefix_with_a_policy_wildcard" {
  command = plan
  variables {
    user_path_prefix = "/ci*/"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_an_empty_tag_key" {
  command = plan
  variables {
    user_tag = { key = "" }
  }
  expect_failures = [var.user_tag]
}

run "rejects_a_tag_key_longer_than_128" {
  command = plan
  variables {
    user_tag = { key = replace(format("%129s", ""), " ", "k") }
  }
  expect_failures = [var.user_tag]
}

run "rejects_a_tag_key_iam_does_not_allow" {
  command = plan
  variables {
    user_tag = { key = "rotate?" }
  }
  expect_failures = [var.user_tag]
}

run "rejects_a_tag_key_in_the_aws_namespace" {
  command = plan
  variables {
    user_tag = { key = "AWS:rotate" }
  }
  expect_failures = [var.user_tag]
}

run "rejects_a_tag_value_longer_than_256" {
  command = plan
  variables {
    user_tag = { key = "rotate", value = replace(format("%257s", ""), " ", "v") }
  }
  expect_failures = [var.user_tag]
}

run "rejects_a_tag_value_iam_does_not_allow" {
  command = plan
  variables {
    user_tag = { key = "rotate", value = "yes!" }
  }
  expect_failures = [var.user_tag]
}

run "rejects_an_excluded_name_that_is_no_iam_user_name" {
  command = plan
  variables {
    exclude_users = ["break glass"]
  }
  expect_failures = [var.exclude_users]
}

run "rejects_an_excluded_name_longer_than_64" {
  command = plan
  variables {
    exclude_users = [replace(format("%65s", ""), " ", "u")]
  }
  expect_failures = [var.exclude_users]
}

run "rejects_exclusions_too_large_for_the_environment" {
  command = plan
  variables {
    # 70 names of 50 characters: 3,710 characters of JSON with the quotes and commas, 3,850 bytes
    # once its quotes are escaped in the environment's JSON.
    exclude_users = [for i in range(70) : format("user-%045d", i)]
  }
  expect_failures = [aws_lambda_function.this]
}

run "rejects_200_excluded_names_of_12_characters" {
  command = plan
  variables {
    # Each name is 12 characters, 17 bytes in the environment's JSON (its quotes escaped, and a
    # comma): 3,400 bytes, past the 4,096 with the other settings (4,290 bytes as Lambda measures
    # them), although the names alone are 2,400 characters.
    exclude_users = [for i in range(200) : format("user-%07d", i)]
  }
  expect_failures = [aws_lambda_function.this]
}

run "rejects_exclusions_and_tags_too_large_together" {
  command = plan
  variables {
    # Each fits alone; together they pass Lambda's 4 KB.
    exclude_users = [for i in range(35) : format("user-%045d", i)]
    tags          = { for i in range(8) : "tag-${i}" => replace(format("%200s", ""), " ", "v") }
  }
  expect_failures = [aws_lambda_function.this]
}

# --- observability ----------------------------------------------------------------------------

run "rejects_an_event_bus_name_with_invalid_characters" {
  command = plan

  variables {
    event_bus_name = "my bus!"
  }

  expect_failures = [var.event_bus_name]
}

run "rejects_a_partner_event_bus" {
  command = plan

  variables {
    event_bus_name = "aws.partner/saas.com/123/events"
  }

  expect_failures = [var.event_bus_name]
}

run "rejects_an_event_bus_arn_of_another_region" {
  command = plan

  variables {
    event_bus_name = "arn:aws:events:eu-west-1:123456789012:event-bus/central"
  }

  expect_failures = [var.event_bus_name]
}

run "rejects_a_key_age_alarm_without_a_maximum_age" {
  command = plan

  variables {
    key_age_alarm = true
  }

  expect_failures = [var.key_age_alarm]
}
