# One ready-made credentials handler's function: its role, its log group and the function, built
# the same way for every target (modules/handler-github-actions, modules/handler-gitlab-ci).
# The role may write the function's logs and read the target's credential secrets; the rotator
# attaches the reading of its own secrets (its credentials_handler_role_name input).

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  log_group  = "/aws/lambda/${var.name}"

  # The zip's native wheels are built for this runtime and architecture (scripts/build_lambda_zip.py).
  runtime      = "python3.13"
  architecture = "x86_64"

  # Lambda counts the environment's 4 KB as the JSON of the whole map.
  environment_size = length(jsonencode(var.environment))

  policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group}:*"
        },
      ],
      length(var.credential_secret_arns) == 0 ? [] : [
        {
          Sid      = "ReadTargetCredentials"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = sort(distinct(var.credential_secret_arns))
        },
      ],
      var.credential_kms_key_arn == null ? [] : [
        {
          Sid       = "DecryptTargetCredentials"
          Effect    = "Allow"
          Action    = "kms:Decrypt"
          Resource  = var.credential_kms_key_arn
          Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
        },
      ],
    )
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name        = var.name
  description = var.description
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = var.name
  role   = aws_iam_role.this.id
  policy = jsonencode(local.policy)
}

resource "aws_lambda_function" "this" {
  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
  runtime          = local.runtime
  architectures    = [local.architecture]
  handler          = var.entry_point
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  memory_size      = 256
  timeout          = var.timeout_seconds

  environment {
    variables = var.environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.this.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.environment_size <= 4096
      error_message = "The function's environment takes ${local.environment_size} characters as JSON, and Lambda allows 4 KB: map fewer users to targets in this handler (another rotator with its own handler can take the others)."
    }
  }

  depends_on = [aws_iam_role_policy.this]
}
