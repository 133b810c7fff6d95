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

  # The same environment on every function: the settings document (settings.tf).
  environment = { SETTINGS = jsonencode(local.settings) }

  # Lambda refuses an environment of more than 4 KB, measured on the JSON of the whole map: names,
  # quotes and escapes included (its error prints what it measured: "String measured:
  # {\"SETTINGS\":…"), so each quote of the document counts twice, escaped. Counted here in
  # bytes of that JSON with every character beyond ASCII escaped as \uXXXX (6 bytes, 12 for one
  # outside the Basic Multilingual Plane), the largest form AWS could measure. Terraform writes <,
  # > and & into the document as \u003c, \u003e and \u0026, and Lambda measures them so too.
  environment_limit = 4096
  environment_bytes = local.measured_bytes[""]
  # The parts of the document by what they add to the measure, for the error that refuses it:
  # each setting, and each account's settings by the input they come from (accounts.<id>.<key>;
  # the module's own account's are its exclude_users, user_path_prefix and user_tag). A part's
  # measure is that of its "key":value inside the document, escaped as the environment's JSON
  # escapes it: the part as a JSON string, less its two quotes.
  settings_parts = merge(
    { for key, value in local.settings : key => jsonencode({ (key) = value }) if key != "accounts" },
    merge([for id, account in local.settings_accounts : {
      for key, value in account : (id == local.account_id ? key : "accounts.${id}.${key}") => jsonencode({ (key) = value })
    }]...),
  )
  measured = merge(
    { "" = jsonencode(local.environment) },
    { for name, part in local.settings_parts : name => jsonencode(trimsuffix(trimprefix(part, "{"), "}")) },
  )
  measured_bytes = {
    for name, text in local.measured : name => (
      length(regexall("[\\x00-\\x7f]", text))
      + 6 * length(regexall("[^\\x00-\\x7f]", text))
      + 6 * length(regexall("[\\x{10000}-\\x{10ffff}]", text))
    )
  }
  settings_part_bytes = { for name in keys(local.settings_parts) : name => local.measured_bytes[name] - 2 }
  # The three largest parts, largest first.
  settings_largest = [
    for entry in slice(reverse(sort([for name, bytes in local.settings_part_bytes : format("%05d %s", bytes, name)])), 0, 3) :
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
      error_message = "The environment variables of ${local.function_names[each.key]} measure ${local.environment_bytes} bytes as Lambda counts them (the JSON of its settings document, names, quotes and escapes included), more than the ${local.environment_limit} Lambda allows, so the apply would fail. The largest parts of the document: ${join(", ", local.settings_largest)}. They grow with exclude_users and each account's exclude_users, tags, accounts (every member account, those of users too, carries its role's ARN), user_tag, user_path_prefix, event_bus_name, member_external_id, kms_key_arn and name: shorten them, list member users in users with their account_id rather than selecting them per account, or split the users between two instances of the module."
    }
  }
}
