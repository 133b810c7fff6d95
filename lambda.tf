locals {
  lambda_zip = "${path.module}/dist/credentials_rotator.zip"

  # The entry points of the engine, one per Task of the state machine (docs/design.md).
  # Timeouts in seconds. Throttled calls are retried until shortly before the timeout
  # (credentials_rotator.throttling), so a timeout is also how long AWS may throttle a function.
  functions = {
    plan = {
      suffix      = "plan"
      description = "Plans a credentials rotation run: checks its input, selects the users, writes its batches."
      timeout     = 120
    }
    read_records = {
      suffix      = "read-records"
      description = "Reads the delivery records of a batch's users."
      timeout     = 60
    }
    rotate = {
      suffix      = "rotate"
      description = "Creates a user's new access key and records it in the user's secret."
      timeout     = 300
    }
    roll_back = {
      suffix      = "roll-back"
      description = "Rolls back a refused handoff: restores the delivered key, deletes the new one."
      timeout     = 300
    }
    record_outcomes = {
      suffix      = "record-outcomes"
      description = "Records how each user of a batch ended."
      timeout     = 60
    }
    finish = {
      suffix      = "finish"
      description = "Retires the previously delivered keys and summarises the run."
      timeout     = 900
    }
  }

  function_names = { for key, function in local.functions : key => "${var.name}-${function.suffix}" }
  function_arns = {
    for key, function_name in local.function_names :
    key => "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${function_name}"
  }

  # The same environment on every function; credentials_rotator.config reads it.
  environment = {
    USERS_PARAMETER_NAME = local.users_parameter_name
    SECRET_NAME_PREFIX   = local.secret_name_prefix
    SECRET_KMS_KEY_ID    = var.kms_key_arn == null ? "" : var.kms_key_arn
    SECRET_TAGS          = jsonencode(var.tags)
    OLD_KEY_ACTION       = var.old_key_action
    MAX_KEY_AGE_DAYS     = var.max_key_age_days == null ? "" : tostring(var.max_key_age_days)
    # Empty: new keys are handed off unchecked (credentials_rotator.verification).
    VERIFY_NEW_KEY_SECONDS = var.verify_new_key ? tostring(var.verify_new_key_timeout_seconds) : ""
    # A previous key still in use after the handoff (credentials_rotator.in_use).
    IN_USE_KEY_ACTION = var.in_use_key_action
    MAX_DEFERRALS     = tostring(var.max_deferrals)
    # The time a consumer is given to switch keys, the state machine's GraceWait too.
    GRACE_WAIT_SECONDS = tostring(var.cleanup_wait_seconds)
    # Users selected at run time (credentials_rotator.selection).
    USER_PATH_PREFIX = var.user_path_prefix == null ? "" : var.user_path_prefix
    USER_TAG         = var.user_tag == null ? "" : jsonencode(var.user_tag)
    EXCLUDE_USERS    = jsonencode(sort(var.exclude_users))
    # How runs tell people (credentials_rotator.notifications, credentials_rotator.metrics).
    ROTATOR_NAME      = var.name
    EVENT_BUS_NAME    = var.event_bus_name == null ? "" : var.event_bus_name
    EVENT_SOURCE      = local.event_source
    METRICS_NAMESPACE = local.metrics_namespace
    # Users of member accounts (credentials_rotator.accounts, accounts.tf).
    MEMBER_ROLE_NAME   = var.member_role_name
    MEMBER_EXTERNAL_ID = var.member_external_id == null ? "" : var.member_external_id
    ACCOUNTS           = local.accounts_environment
    # The run's machinery (credentials_rotator.config).
    STATE_MACHINE_ARN = local.state_machine_arn
    RUN_DATA_BUCKET   = local.run_data_bucket
    BATCH_SIZE        = tostring(local.batch_size)
    MAX_CONCURRENCY   = tostring(var.max_concurrency)
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.function_names

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  function_name    = local.function_names[each.key]
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  runtime          = var.lambda_runtime
  architectures    = ["arm64"]
  handler          = "credentials_rotator.${each.key}.handler"
  filename         = local.lambda_zip
  source_code_hash = filebase64sha256(local.lambda_zip)
  memory_size      = 256
  timeout          = each.value.timeout

  environment {
    variables = local.environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function[each.key].name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy_attachment.listed_users, aws_iam_role_policy_attachment.member_roles]
}
