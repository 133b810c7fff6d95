# What the module plans: names, wiring, policies, the optional parts.

# Account 123456789012, region us-east-1, partition aws: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "ci-keys"
  users = [
    { username = "homer", metadata = "nuclear-plant" },
    { username = "bart" },
  ]
  credentials_handler_arn = "arn:aws:lambda:us-east-1:123456789012:function:key-consumer"
  tags                    = { team = "platform" }
}

run "defaults_name_every_resource_after_name" {
  command = plan

  assert {
    condition = { for k, f in aws_lambda_function.this : k => f.function_name } == {
      plan      = "ci-keys-plan", read_records = "ci-keys-read-records", rotate = "ci-keys-rotate",
      roll_back = "ci-keys-roll-back", record_outcomes = "ci-keys-record-outcomes", finish = "ci-keys-finish"
    }
    error_message = "One function per Task, named <name>-plan, -read-records, -rotate, -roll-back, -record-outcomes and -finish."
  }

  assert {
    condition     = alltrue([for k, f in aws_lambda_function.this : f.handler == "credentials_rotator.handlers.${k}.handler"])
    error_message = "Each function's handler must be credentials_rotator.handlers.<entry point>.handler."
  }

  assert {
    condition = alltrue([for k, f in aws_lambda_function.this :
      f.runtime == "python3.13" && f.logging_config[0].log_format == "JSON"
      && f.logging_config[0].log_group == "/aws/lambda/${f.function_name}"
    ])
    error_message = "Functions must run python3.13 by default and log JSON to /aws/lambda/<function>."
  }

  assert {
    condition = alltrue([for k, g in aws_cloudwatch_log_group.function :
      g.name == "/aws/lambda/${aws_lambda_function.this[k].function_name}" && g.retention_in_days == 365
    ])
    error_message = "Every function needs its own log group with the default retention of 365 days."
  }

  assert {
    condition = (
      aws_cloudwatch_log_group.state_machine.name == "/aws/vendedlogs/states/ci-keys"
      && aws_cloudwatch_log_group.state_machine.retention_in_days == 365
    )
    error_message = "The state machine logs to /aws/vendedlogs/states/<name> with the default retention."
  }

  assert {
    condition = (
      { for k, r in aws_iam_role.function : k => r.name } == {
        plan      = "ci-keys-plan", read_records = "ci-keys-read-records", rotate = "ci-keys-rotate",
        roll_back = "ci-keys-roll-back", record_outcomes = "ci-keys-record-outcomes", finish = "ci-keys-finish"
      }
      && aws_iam_role.service["state_machine"].name == "ci-keys-states"
      && aws_iam_role.service["schedule"].name == "ci-keys-schedule"
    )
    error_message = "One role per function, one for the state machine and one for the schedule."
  }

  assert {
    condition = (
      aws_sfn_state_machine.this.name == "ci-keys"
      && aws_sfn_state_machine.this.type == "STANDARD"
      && aws_sfn_state_machine.this.logging_configuration[0].include_execution_data == false
      && contains(["ALL", "ERROR"], aws_sfn_state_machine.this.logging_configuration[0].level)
    )
    error_message = "A STANDARD state machine named <name> whose logs never include execution data."
  }

  assert {
    condition = (
      aws_scheduler_schedule.this.name == "ci-keys"
      && aws_scheduler_schedule.this.state == "ENABLED"
      && aws_scheduler_schedule.this.schedule_expression == "rate(1 hour)"
      && aws_scheduler_schedule.this.schedule_expression_timezone == "UTC"
      && aws_scheduler_schedule.this.flexible_time_window[0].mode == "OFF"
      && aws_scheduler_schedule.this.target[0].input == "{}"
      && aws_scheduler_schedule.this.target[0].retry_policy[0].maximum_retry_attempts > 0
      && aws_scheduler_schedule.this.target[0].retry_policy[0].maximum_event_age_in_seconds == 900
    )
    error_message = "The schedule starts runs hourly by default, with input {}, no flexible window and retries for up to 15 minutes."
  }

  assert {
    condition = (
      aws_ssm_parameter.users.name == "/ci-keys/users"
      && aws_ssm_parameter.users.type == "String"
      && aws_ssm_parameter.users.tier == "Standard"
      && jsondecode(aws_ssm_parameter.users.insecure_value) == [
        { username = "homer", metadata = "nuclear-plant" },
        { username = "bart" },
      ]
    )
    error_message = "The users parameter holds the users JSON of docs/design.md, metadata omitted when null."
  }

  assert {
    condition = (
      output.secret_names == { homer = "ci-keys/homer", bart = "ci-keys/bart" }
      && output.secret_name_prefix == "ci-keys/"
    )
    error_message = "Each listed user's secret is <name>/<username>."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.failed_runs) == 0 && output.alarm_arn == null
    error_message = "No alarm without a topic."
  }

  assert {
    condition     = length(aws_iam_role_policy.credentials_handler) == 0
    error_message = "Without a handler role name the module touches no role of the user's."
  }

  assert {
    condition     = output.users_parameter_name == "/ci-keys/users"
    error_message = "The users_parameter_name output names the parameter."
  }
}

run "both_checks_are_on_by_default" {
  command = plan

  assert {
    condition = (
      local.settings.verify_new_key_seconds == 60 && local.settings.in_use_key_action == "defer" && local.settings.max_deferrals == 3
    )
    error_message = "By default a new key must prove it works within 60 seconds, and a previous key still in use is deferred, up to the third run in a row."
  }

  assert {
    condition = (
      [for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s.Action if s.Sid == "CallSecretsmanager"] == [["secretsmanager:DescribeSecret", "secretsmanager:TagResource", "secretsmanager:UpdateSecretVersionStage"]]
      && [for s in jsondecode(aws_iam_policy.listed_users["finish-0"].policy).Statement : s.Action] == [["iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"]]
    )
    error_message = "With defer, finish may ask when a key was last used (and list the user's keys when that is denied), record the deferral on the user's secret (its stages and a tag), and delete as old_key_action says."
  }
}

run "retire_mode_checks_no_key_use" {
  command = plan

  variables {
    in_use_key_action = "retire"
  }

  assert {
    condition = (
      length([for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s if s.Sid == "CallSecretsmanager"]) == 0
      && [for s in jsondecode(aws_iam_policy.listed_users["finish-0"].policy).Statement : s.Action] == [["iam:DeleteAccessKey"]]
      && !strcontains(aws_iam_policy.listed_users["rotate-0"].policy, "iam:UpdateAccessKey")
    )
    error_message = "With retire, finish only deletes: no last-used check, no secret tag; rotate never deactivates."
  }
}

run "deactivate_mode_lets_finish_and_rotate_deactivate" {
  command = plan

  variables {
    in_use_key_action = "deactivate"
  }

  assert {
    condition = (
      [for s in jsondecode(aws_iam_policy.listed_users["finish-0"].policy).Statement : s.Action] == [["iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"]]
      && strcontains(aws_iam_policy.listed_users["rotate-0"].policy, "iam:UpdateAccessKey")
      && [for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s.Action if s.Sid == "CallSecretsmanager"] == [["secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"]]
    )
    error_message = "With deactivate, finish and rotate may deactivate a key still in use; finish may put the deferral's stage on a user's secret (a key left for a later run), and nothing is tagged."
  }
}

run "tags_reach_every_taggable_resource" {
  command = plan

  assert {
    condition = alltrue(concat(
      [for f in aws_lambda_function.this : f.tags == tomap({ team = "platform" })],
      [for g in aws_cloudwatch_log_group.function : g.tags == tomap({ team = "platform" })],
      [for r in aws_iam_role.function : r.tags == tomap({ team = "platform" })],
      [
        aws_iam_role.service["state_machine"].tags == tomap({ team = "platform" }),
        aws_iam_role.service["schedule"].tags == tomap({ team = "platform" }),
        aws_sfn_state_machine.this.tags == tomap({ team = "platform" }),
        aws_cloudwatch_log_group.state_machine.tags == tomap({ team = "platform" }),
        aws_ssm_parameter.users.tags == tomap({ team = "platform" }),
      ],
    ))
    error_message = "The tags input must be set on every taggable resource."
  }
}

run "enabled_false_disables_the_schedule" {
  command = plan

  variables {
    enabled             = false
    schedule_expression = "cron(0 3 * * ? *)"
    schedule_timezone   = "Europe/Paris"
  }

  assert {
    condition = (
      aws_scheduler_schedule.this.state == "DISABLED"
      && aws_scheduler_schedule.this.schedule_expression == "cron(0 3 * * ? *)"
      && aws_scheduler_schedule.this.schedule_expression_timezone == "Europe/Paris"
    )
    error_message = "enabled = false must plan a DISABLED schedule with the given expression and zone."
  }
}

run "a_missed_start_is_retried_for_at_most_one_period" {
  command = plan

  variables {
    # The shortest period the module accepts (variables.tf: Secrets Manager's version quota).
    schedule_expression  = "rate(15 minutes)"
    cleanup_wait_seconds = 60
  }

  assert {
    condition     = aws_scheduler_schedule.this.target[0].retry_policy[0].maximum_event_age_in_seconds == 900
    error_message = "With rate(15 minutes) a start must not be retried after the next one is due."
  }
}

run "policies_name_each_user_at_any_path" {
  command = plan

  assert {
    condition = toset(flatten([
      for p in aws_iam_policy.listed_users : jsondecode(p.policy).Statement[0].Resource if startswith(p.name, "ci-keys-rotate-")
      ])) == toset([
      "arn:aws:iam::123456789012:user/homer", "arn:aws:iam::123456789012:user/*/homer",
      "arn:aws:iam::123456789012:user/bart", "arn:aws:iam::123456789012:user/*/bart",
    ])
    error_message = "IAM actions must name each listed user by name, at the root path and at any other: user/<name> and user/*/<name>."
  }

  assert {
    condition = alltrue([for p in aws_iam_role_policy.function : alltrue([
      # BatchGetSecretValue takes no resource; each secret is authorized as a GetSecretValue.
      for s in jsondecode(p.policy).Statement : s.Sid == "ReadDeliveryRecordsInBatches" || alltrue([for r in flatten([s.Resource]) : r != "*"])
    ])])
    error_message = "No function policy may grant on \"*\"."
  }

  assert {
    condition     = alltrue([for p in aws_iam_role_policy.function : !strcontains(p.policy, "kms:")])
    error_message = "Without a customer key no function needs KMS permissions."
  }

  assert {
    condition = (
      jsondecode(aws_iam_role_policy.service["schedule"].policy).Statement[0].Action == "states:StartExecution"
      && jsondecode(aws_iam_role_policy.service["schedule"].policy).Statement[0].Resource == "arn:aws:states:us-east-1:123456789012:stateMachine:ci-keys"
    )
    error_message = "The schedule role may only start this state machine."
  }

  assert {
    condition = contains(
      flatten([for s in jsondecode(aws_iam_role_policy.service["state_machine"].policy).Statement : s.Resource if s.Sid == "InvokeFunctions"]),
      "arn:aws:lambda:us-east-1:123456789012:function:key-consumer"
    )
    error_message = "The state machine must be allowed to invoke exactly the credentials handler."
  }
}

run "no_users_plans_no_iam_statement" {
  command = plan

  variables {
    users = []
  }

  assert {
    condition = (
      aws_ssm_parameter.users.insecure_value == "[]"
      && output.secret_names == {}
      && alltrue([for p in aws_iam_role_policy.function : !strcontains(p.policy, "\"iam:")])
    )
    error_message = "With no users the parameter is [] and no policy names an IAM user."
  }
}

run "kms_key_encrypts_secrets_and_is_granted" {
  command = plan

  variables {
    kms_key_arn                   = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
    credentials_handler_role_name = "key-consumer"
  }

  assert {
    condition     = local.settings.secret_kms_key_id == var.kms_key_arn
    error_message = "Secrets the engine creates must use the customer key too."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.function["rotate"].policy).Statement :
      s.Resource == var.kms_key_arn && s.Condition.StringEquals["kms:ViaService"] == "secretsmanager.us-east-1.amazonaws.com"
      if s.Sid == "UseSecretsKey"
    ]) && strcontains(aws_iam_role_policy.function["rotate"].policy, "kms:GenerateDataKey")
    error_message = "The rotate role must use the key through Secrets Manager only."
  }

  assert {
    condition = (
      aws_iam_role_policy.credentials_handler[0].role == "key-consumer"
      && aws_iam_role_policy.credentials_handler[0].policy == output.credentials_handler_policy_json
      && strcontains(output.credentials_handler_policy_json, "kms:Decrypt")
      && strcontains(output.credentials_handler_policy_json, var.kms_key_arn)
    )
    error_message = "The handler's role gets the handler policy, decrypt on the key included."
  }
}

run "handler_policy_reads_only_this_modules_secrets" {
  command = plan

  assert {
    condition = jsondecode(output.credentials_handler_policy_json) == {
      Version = "2012-10-17"
      Statement = [{
        Sid      = "ReadRotatedCredentials"
        Effect   = "Allow"
        Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
        Resource = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/*"
      }]
    }
    error_message = "Without a key the handler policy reads exactly this module's secrets."
  }
}

run "alarm_watches_failed_and_timed_out_runs" {
  command = plan

  variables {
    alarm_sns_topic_arn = "arn:aws:sns:us-east-1:123456789012:alarms"
  }

  assert {
    condition = (
      length(aws_cloudwatch_metric_alarm.failed_runs) == 1
      && aws_cloudwatch_metric_alarm.failed_runs[0].alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:alarms"])
      && toset([for q in aws_cloudwatch_metric_alarm.failed_runs[0].metric_query : q.metric[0].metric_name if length(q.metric) > 0]) == toset(["ExecutionsFailed", "ExecutionsTimedOut"])
      && aws_cloudwatch_metric_alarm.failed_runs[0].tags == tomap({ team = "platform" })
    )
    error_message = "With a topic, one alarm on ExecutionsFailed and ExecutionsTimedOut notifies it."
  }

  assert {
    condition = (
      [for q in aws_cloudwatch_metric_alarm.failed_runs[0].metric_query : q.expression if q.return_data == true] == ["FILL(failed, 0) + FILL(timed_out, 0)"]
      && toset([for q in aws_cloudwatch_metric_alarm.failed_runs[0].metric_query : q.id if length(q.metric) > 0]) == toset(["failed", "timed_out"])
    )
    error_message = "The alarm must add the two series with FILL(..., 0): a series without datapoints in a period must count as 0, not make the sum missing (treat_missing_data would then call it not breaching)."
  }
}

run "small_users_list_uses_a_standard_parameter" {
  command = plan

  variables {
    # 4096 bytes exactly: 65 bytes of JSON around 2016 + 2015 bytes of metadata.
    users = [
      { username = "u0", metadata = replace(format("%2016s", ""), " ", "m") },
      { username = "u1", metadata = replace(format("%2015s", ""), " ", "m") },
    ]
  }

  assert {
    condition     = aws_ssm_parameter.users.tier == "Standard" && length(aws_ssm_parameter.users.insecure_value) == 4096
    error_message = "Users JSON of 4096 bytes fits a Standard parameter."
  }
}

run "large_users_list_uses_an_advanced_parameter" {
  command = plan

  variables {
    # 4097 bytes: one more than a Standard parameter holds.
    users = [
      { username = "u0", metadata = replace(format("%2016s", ""), " ", "m") },
      { username = "u1", metadata = replace(format("%2016s", ""), " ", "m") },
    ]
  }

  assert {
    condition     = aws_ssm_parameter.users.tier == "Advanced" && length(aws_ssm_parameter.users.insecure_value) == 4097
    error_message = "Users JSON over 4096 bytes needs an Advanced parameter."
  }
}

run "tier_counts_bytes_not_characters" {
  command = plan

  variables {
    # 1100 characters of two bytes each per user: 2200 characters but more than 4400 bytes.
    users = [for i in range(2) : { username = "u${i}", metadata = replace(format("%1100s", ""), " ", "é") }]
  }

  assert {
    condition     = aws_ssm_parameter.users.tier == "Advanced" && length(aws_ssm_parameter.users.insecure_value) < 4096
    error_message = "The tier must follow the size in bytes."
  }
}

# --- users selected at run time -------------------------------------------------------------------

run "selection_by_path_scopes_key_actions_to_the_path" {
  command = plan

  variables {
    user_path_prefix = "/ci/"
    exclude_users    = ["Bart"]
  }

  assert {
    condition = alltrue([for key in ["rotate", "roll_back", "finish"] : [
      for s in jsondecode(aws_iam_role_policy.function[key].policy).Statement : s.Resource
      if s.Sid == "CallIamOnSelectedUsers" && !can(s.Condition)
    ] == ["arn:aws:iam::123456789012:user/ci/*"]])
    error_message = "With a path prefix, each key action also reaches exactly the users under that path, without condition."
  }

  assert {
    condition = (
      [for s in jsondecode(aws_iam_role_policy.function["rotate"].policy).Statement : s.Action if s.Sid == "CallIamOnSelectedUsers"] == [["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"]]
      && [for s in jsondecode(aws_iam_role_policy.function["roll_back"].policy).Statement : s.Action if s.Sid == "CallIamOnSelectedUsers"] == [["iam:DeleteAccessKey"]]
      && [for s in jsondecode(aws_iam_role_policy.function["finish"].policy).Statement : s.Action if s.Sid == "CallIamOnSelectedUsers"] == [["iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"]]
    )
    error_message = "The selected users get the same key actions as the listed ones, function by function (finish: the retire action of old_key_action, and the last-use check of in_use_key_action)."
  }

  assert {
    condition = (
      [for s in jsondecode(aws_iam_role_policy.function["plan"].policy).Statement : s if s.Sid == "ListSelectedUsers"] == [{ Sid = "ListSelectedUsers", Effect = "Allow", Action = "iam:ListUsers", Resource = "*" }]
      && !strcontains(replace(aws_iam_role_policy.function["plan"].policy, "iam:ListUsers", ""), "iam:")
    )
    error_message = "With a path prefix only, plan may list users (ListUsers takes no resource) and nothing else of IAM."
  }

  assert {
    condition = (
      flatten([for p in aws_iam_policy.listed_users : jsondecode(p.policy).Statement[0].Resource if startswith(p.name, "ci-keys-rotate-")]) == ["arn:aws:iam::123456789012:user/homer", "arn:aws:iam::123456789012:user/*/homer"]
      && keys(output.secret_names) == ["homer"]
      && jsondecode(aws_ssm_parameter.users.insecure_value) == [{ username = "homer", metadata = "nuclear-plant" }]
    )
    error_message = "An excluded user (any case) leaves the users parameter, the secrets and the policies."
  }

  assert {
    condition     = jsonencode(local.settings.accounts["123456789012"]) == jsonencode({ user_path_prefix = "/ci/", exclude_users = ["Bart"], user_listing = "ListUsers" })
    error_message = "The functions' settings hold the module's own account's path prefix, no tag and the excluded names."
  }

  assert {
    condition = alltrue([for key in ["rotate", "roll_back", "finish"] : alltrue([
      # BatchGetSecretValue takes no resource; each secret is authorized as a GetSecretValue.
      for s in jsondecode(aws_iam_role_policy.function[key].policy).Statement :
      s.Sid == "ReadDeliveryRecordsInBatches" || !contains(flatten([s.Resource]), "*")
    ])])
    error_message = "Only the listing may be granted on \"*\"."
  }
}

run "selection_by_tag_value_requires_that_value_on_the_user" {
  command = plan

  variables {
    user_tag = { key = "rotate", value = "yes" }
  }

  assert {
    condition = alltrue([for key in ["rotate", "roll_back", "finish"] : alltrue([
      for s in jsondecode(aws_iam_role_policy.function[key].policy).Statement :
      s.Resource == "arn:aws:iam::123456789012:user/*" && s.Condition == { StringEquals = { "iam:ResourceTag/rotate" = "yes" } }
      if s.Sid == "CallIamOnSelectedUsers"
    ]) && strcontains(aws_iam_role_policy.function[key].policy, "CallIamOnSelectedUsers")])
    error_message = "With a tag, the key actions reach any user only while it carries the tag with that value."
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.function["plan"].policy).Statement : [s.Action, s.Resource] if s.Sid == "ListSelectedUsers"
    ] == [["iam:GetAccountAuthorizationDetails", "*"]]
    error_message = "With a tag, plan lists users with their tags through GetAccountAuthorizationDetails, which takes no resource."
  }

  assert {
    condition     = jsonencode(local.settings.accounts["123456789012"]) == jsonencode({ user_tag = { key = "rotate", value = "yes" }, user_listing = "GetAccountAuthorizationDetails" })
    error_message = "The functions' settings hold the module's own account's tag."
  }
}

run "selection_by_tag_key_under_a_path_requires_the_key_and_the_path" {
  command = plan

  variables {
    users            = []
    user_path_prefix = "/ci/"
    user_tag         = { key = "rotate" }
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.function["rotate"].policy).Statement : s if startswith(s.Sid, "CallIam")
      ] == [{
        Sid       = "CallIamOnSelectedUsers"
        Effect    = "Allow"
        Action    = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"]
        Resource  = "arn:aws:iam::123456789012:user/ci/*"
        Condition = { Null = { "iam:ResourceTag/rotate" = "false" } }
    }]
    error_message = "Without listed users, the only IAM statement is on users under the path that carry the tag key."
  }

  assert {
    condition     = jsonencode(local.settings.accounts["123456789012"].user_tag) == jsonencode({ key = "rotate", value = null })
    error_message = "A tag without a value reaches the functions with a null value."
  }
}

run "no_selection_grants_no_listing" {
  command = plan

  assert {
    condition = alltrue([for p in aws_iam_role_policy.function :
      !strcontains(p.policy, "ListSelectedUsers") && !strcontains(p.policy, "CallIamOnSelectedUsers")
    ])
    error_message = "Without user_path_prefix or user_tag no function may list users or act beyond the listed ones."
  }
}

# The largest users list the module accepts: every one-character name IAM allows (names ignore
# case) and as many two-character names as the users parameter's 8,192 bytes hold. That list names
# the most ARN characters per byte of the parameter, so it is the one that meets IAM's quotas
# first: each managed policy at most 6,144 characters, each role's inline policies together at
# most 10,240, at most 10 managed policies attached to a role (jsonencode writes no whitespace,
# which IAM would not count).
run "the_largest_users_list_fits_iams_policy_quotas" {
  command = plan

  variables {
    users = concat(
      [for c in split("", "abcdefghijklmnopqrstuvwxyz0123456789_+=.@-") : { username = c }],
      [for i in range(415) : { username = "${substr("abcdefghijklmnopqrstuvwxyz0123456789_+=.@-", floor(i / 42), 1)}${substr("abcdefghijklmnopqrstuvwxyz0123456789_+=.@-", i % 42, 1)}" }],
    )
  }

  assert {
    condition     = length(aws_ssm_parameter.users.insecure_value) > 8150
    error_message = "The list must come close to the parameter's 8,192 bytes (the next run adds one user too many)."
  }

  assert {
    condition     = alltrue([for p in aws_iam_policy.listed_users : length(p.policy) <= 6144])
    error_message = "Every managed policy of the listed users must hold at most 6,144 characters."
  }

  assert {
    condition = alltrue([for key, p in aws_iam_role_policy.function : length(p.policy) <= 10240]) && alltrue([
      for p in aws_iam_role_policy.service : length(p.policy) <= 10240
    ])
    error_message = "Every role's inline policy must hold at most 10,240 characters."
  }

  assert {
    condition = alltrue([for function in ["rotate", "roll_back", "finish"] :
      length([for key, a in aws_iam_role_policy_attachment.listed_users : a if startswith(key, "${function}-")]) <= 10
    ])
    error_message = "No role may need more than 10 managed policies."
  }

  assert {
    condition = length(distinct(flatten([
      for p in aws_iam_policy.listed_users : jsondecode(p.policy).Statement[0].Resource if startswith(p.name, "ci-keys-rotate-")
    ]))) == 2 * length(var.users)
    error_message = "The rotate role's managed policies must name every listed user (two ARNs each), none twice."
  }
}

run "the_largest_users_list_fits_in_the_longest_partition_too" {
  command = plan

  variables {
    users = concat(
      [for c in split("", "abcdefghijklmnopqrstuvwxyz0123456789_+=.@-") : { username = c }],
      [for i in range(415) : { username = "${substr("abcdefghijklmnopqrstuvwxyz0123456789_+=.@-", floor(i / 42), 1)}${substr("abcdefghijklmnopqrstuvwxyz0123456789_+=.@-", i % 42, 1)}" }],
    )
  }

  # The longest partition name makes the longest ARNs.
  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-iso-b" }
  }

  assert {
    condition     = alltrue([for p in aws_iam_policy.listed_users : length(p.policy) <= 6144])
    error_message = "Every managed policy must hold at most 6,144 characters in any partition."
  }

  assert {
    condition = alltrue([for function in ["rotate", "roll_back", "finish"] :
      length([for key, a in aws_iam_role_policy_attachment.listed_users : a if startswith(key, "${function}-")]) <= 10
    ])
    error_message = "No role may need more than 10 managed policies in any partition."
  }
}

run "one_user_more_than_the_largest_list_is_refused" {
  command = plan

  variables {
    users = concat(
      [for c in split("", "abcdefghijklmnopqrstuvwxyz0123456789_+=.@-") : { username = c }],
      [for i in range(416) : { username = "${substr("abcdefghijklmnopqrstuvwxyz0123456789_+=.@-", floor(i / 42), 1)}${substr("abcdefghijklmnopqrstuvwxyz0123456789_+=.@-", i % 42, 1)}" }],
    )
  }

  expect_failures = [aws_ssm_parameter.users]
}

run "an_environment_past_lambdas_4_kb_is_refused_at_plan" {
  command = plan

  # Inputs the variables' validations all accept, whose environment Lambda would refuse: a
  # 48-character name, a key ARN, 41 excluded names of 64 characters, a bus ARN of 248 characters
  # and a member external id of 39 (3,031 characters of values with the default member role name,
  # which once counted as fitting; about 4,300 bytes as Lambda measures the environment's JSON). AWS's
  # measure of planned environments: tests/terraform/test_tf_environment_size.py.
  variables {
    name               = "n${replace(format("%47s", ""), " ", "x")}"
    kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
    max_key_age_days   = 1000
    tags               = {}
    exclude_users      = [for n in range(41) : format("%02d%s", n, replace(format("%62s", ""), " ", "e"))]
    event_bus_name     = "arn:aws:events:us-east-1:123456789012:event-bus/${replace(format("%200s", ""), " ", "b")}"
    member_external_id = replace(format("%39s", ""), " ", "x")
  }

  expect_failures = [aws_lambda_function.this]
}
