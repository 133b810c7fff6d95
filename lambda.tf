locals {
  lambda_zip = "${path.module}/dist/credentials_rotator.zip"

  # The four entry points of the engine (docs/design.md). Timeouts in seconds.
  functions = {
    plan = {
      suffix      = "plan"
      description = "Plans a credentials rotation run: reads the users and the run input."
      timeout     = 30
    }
    # Throttled calls are retried until shortly before the timeout (credentials_rotator.throttling),
    # so these timeouts are how long IAM and Secrets Manager may throttle one user's calls.
    rotate = {
      suffix      = "rotate"
      description = "Creates a user's new access key and records it in the user's secret."
      timeout     = 300
    }
    roll_back = {
      suffix      = "roll-back"
      description = "Rolls back a failed handoff: deletes the new key, restores the delivered one."
      timeout     = 300
    }
    finish = {
      suffix      = "finish"
      description = "Records each batch's outcomes, retires the previously delivered keys and summarises the run."
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
    # Users selected at run time (credentials_rotator.selection).
    USER_PATH_PREFIX = var.user_path_prefix == null ? "" : var.user_path_prefix
    USER_TAG         = var.user_tag == null ? "" : jsonencode(var.user_tag)
    EXCLUDE_USERS    = jsonencode(sort(var.exclude_users))
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

  depends_on = [aws_iam_role_policy.function]
}
