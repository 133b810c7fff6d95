locals {
  lambda_zip = "${path.module}/dist/credentials_rotator.zip"

  # The entry points of the engine, one per Task of the state machine (docs/design.md).
  # Timeouts in seconds. Throttled calls are retried until shortly before the timeout
  # (credentials_rotator.aws.throttling), so a timeout is also how long AWS may throttle a function.
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

  # The same environment on every function; credentials_rotator.settings.config reads it.
  environment = {
    USERS_PARAMETER_NAME = local.users_parameter_name
    SECRET_NAME_PREFIX   = local.secret_name_prefix
    SECRET_KMS_KEY_ID    = var.kms_key_arn == null ? "" : var.kms_key_arn
    SECRET_TAGS          = jsonencode(var.tags)
    OLD_KEY_ACTION       = var.old_key_action
    MAX_KEY_AGE_DAYS     = var.max_key_age_days == null ? "" : tostring(var.max_key_age_days)
    # Empty: new keys are handed off unchecked (credentials_rotator.aws.verification).
    VERIFY_NEW_KEY_SECONDS = var.verify_new_key ? tostring(var.verify_new_key_timeout_seconds) : ""
    # A previous key still in use after the handoff (credentials_rotator.run.in_use).
    IN_USE_KEY_ACTION = var.in_use_key_action
    MAX_DEFERRALS     = tostring(var.max_deferrals)
    # The time a consumer is given to move (the state machine's GraceWait too), and how long IAM
    # may take to publish a key's use: its uses in the grace wait are judged once that old.
    GRACE_WAIT_SECONDS     = tostring(var.cleanup_wait_seconds)
    LAST_USE_DELAY_SECONDS = tostring(var.last_use_delay_seconds)
    # Users selected at run time (credentials_rotator.aws.selection).
    USER_PATH_PREFIX = var.user_path_prefix == null ? "" : var.user_path_prefix
    USER_TAG         = var.user_tag == null ? "" : jsonencode(var.user_tag)
    EXCLUDE_USERS    = jsonencode(sort(var.exclude_users))
    # How runs tell people (credentials_rotator.aws.notifications, credentials_rotator.aws.metrics).
    ROTATOR_NAME      = var.name
    EVENT_BUS_NAME    = var.event_bus_name == null ? "" : var.event_bus_name
    EVENT_SOURCE      = local.event_source
    METRICS_NAMESPACE = local.metrics_namespace
    # Users of member accounts (credentials_rotator.aws.accounts, accounts.tf).
    MEMBER_ROLE_NAME   = var.member_role_name
    MEMBER_EXTERNAL_ID = var.member_external_id == null ? "" : var.member_external_id
    ACCOUNTS           = local.accounts_environment
    # The run's machinery (credentials_rotator.settings.config).
    STATE_MACHINE_ARN = local.state_machine_arn
    RUN_DATA_BUCKET   = local.run_data_bucket
    BATCH_SIZE        = tostring(local.batch_size)
    MAX_CONCURRENCY   = tostring(var.max_concurrency)
  }

  # Lambda refuses an environment of more than 4 KB, measured on the JSON of the whole map: names,
  # quotes and escapes included (its error prints what it measured: "String measured:
  # {\"KEY\":\"value\",…}"). Counted here in bytes of that JSON with every character beyond ASCII
  # escaped as \uXXXX (6 bytes, 12 for one outside the Basic Multilingual Plane), the largest
  # form AWS could measure; Terraform also writes <, > and & as \u003c, \u003e and \u0026, which
  # counts each 5 bytes more than AWS would. Each variable as the map holds it, "NAME":"value",
  # then the braces and the commas between them.
  environment_limit = 4096
  environment_entries = {
    for name, value in local.environment : name => trimsuffix(trimprefix(jsonencode({ (name) = value }), "{"), "}")
  }
  environment_variable_bytes = {
    for name, entry in local.environment_entries : name => (
      length(regexall("[\\x00-\\x7f]", entry))
      + 6 * length(regexall("[^\\x00-\\x7f]", entry))
      + 6 * length(regexall("[\\x{10000}-\\x{10ffff}]", entry))
    )
  }
  environment_bytes = sum(values(local.environment_variable_bytes)) + length(local.environment_variable_bytes) + 1
  # The three largest variables, largest first, for the error that refuses the environment.
  environment_largest = [
    for entry in slice(reverse(sort([for name, bytes in local.environment_variable_bytes : format("%05d %s", bytes, name)])), 0, 3) :
    "${split(" ", entry)[1]} (${tonumber(split(" ", entry)[0])} bytes)"
  ]
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
  handler          = "credentials_rotator.handlers.${each.key}.handler"
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

  lifecycle {
    precondition {
      condition     = local.environment_bytes <= local.environment_limit
      error_message = "The environment variables of ${local.function_names[each.key]} measure ${local.environment_bytes} bytes as Lambda counts them (the JSON of all of them, names, quotes and escapes included), more than the ${local.environment_limit} Lambda allows, so the apply would fail. The largest: ${join(", ", local.environment_largest)}. They grow with exclude_users and each account's exclude_users, tags, accounts, user_tag, user_path_prefix, event_bus_name, member_external_id, kms_key_arn and name: shorten them, list member users in users with their account_id rather than selecting them per account, or split the users between two instances of the module."
    }
  }
}
