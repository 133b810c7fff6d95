data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  account_id                = data.aws_caller_identity.current.account_id
  received_parameter_prefix = "/${var.name}/received/"
  consumer_name             = "${var.name}-consumer"
  alarm_topic_name          = "${var.name}-alarms"
  # Built from the name rather than read from aws_sns_topic.alarms.arn: the module decides at plan
  # time whether to create the alarm, so it needs a topic ARN that is known before apply.
  alarm_topic_arn = "arn:${data.aws_partition.current.partition}:sns:${data.aws_region.current.name}:${local.account_id}:${local.alarm_topic_name}"
}

# Demo users. Terraform creates no access keys: the rotator owns them. force_destroy lets
# `terraform destroy` delete the keys the rotator left on them.
resource "aws_iam_user" "demo" {
  for_each = var.demo_users

  name          = "${var.name}-${each.key}"
  path          = var.demo_user_path
  force_destroy = true
  tags          = var.tags
}

# A customer managed key for the users' secrets and the alarm topic.
resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name} rotated credentials and alarm topic."
  deletion_window_in_days = 7
  enable_key_rotation     = true
  tags                    = var.tags
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersAndGrantsThroughIam"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchPublishesAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
      {
        Sid       = "EventBridgePublishesFailedRotations"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_sns_topic" "alarms" {
  name              = local.alarm_topic_name
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

# Who may publish to the topic: the account, its CloudWatch alarms and the failed-rotation rule.
resource "aws_sns_topic_policy" "alarms" {
  arn = aws_sns_topic.alarms.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Publish", "sns:ListSubscriptionsByTopic"]
        Resource  = aws_sns_topic.alarms.arn
      },
      {
        Sid       = "CloudWatchPublishesAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
      {
        Sid       = "EventBridgePublishesFailedRotations"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms.arn
        Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.rotation_failed.arn } }
      },
    ]
  })
}

# Every user whose rotation failed, as the rotator's per-user event, to the alarm topic: the
# failed-runs alarm says that a run failed, this says who and why.
resource "aws_cloudwatch_event_rule" "rotation_failed" {
  name        = "${var.name}-rotation-failed"
  description = "A user's access key rotation by ${var.name} failed."
  event_pattern = jsonencode({
    source        = [module.credentials_rotator.event_source]
    "detail-type" = [module.credentials_rotator.event_detail_types.failed]
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "rotation_failed" {
  rule      = aws_cloudwatch_event_rule.rotation_failed.name
  target_id = "alarm-topic"
  arn       = aws_sns_topic.alarms.arn
}

# The sample credentials handler (consumer/handler.py, zipped by `make build`).
resource "aws_cloudwatch_log_group" "consumer" {
  name              = "/aws/lambda/${local.consumer_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "consumer" {
  name = local.consumer_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })
  tags = var.tags
}

# Its own needs; reading the secrets is granted by the module (credentials_handler_role_name).
resource "aws_iam_role_policy" "consumer" {
  name = local.consumer_name
  role = aws_iam_role.consumer.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.consumer.arn}:*"
      },
      {
        Sid      = "RecordWhatWasReceived"
        Effect   = "Allow"
        Action   = "ssm:PutParameter"
        Resource = "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${local.account_id}:parameter${local.received_parameter_prefix}*"
      },
    ]
  })
}

resource "aws_lambda_function" "consumer" {
  function_name    = local.consumer_name
  description      = "Sample credentials handler of the ${var.name} rotator."
  role             = aws_iam_role.consumer.arn
  runtime          = var.lambda_runtime
  handler          = "handler.handler"
  filename         = "${path.module}/consumer.zip"
  source_code_hash = filebase64sha256("${path.module}/consumer.zip")
  timeout          = 30

  environment {
    variables = {
      RECEIVED_PARAMETER_PREFIX = local.received_parameter_prefix
      FAIL_FOR_USERS            = join(",", var.consumer_fail_for_users)
    }
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.consumer.name
    application_log_level = "INFO"
    system_log_level      = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.consumer]
}

module "credentials_rotator" {
  source = "../.."

  name = var.name
  users = [
    for key, metadata in var.demo_users : {
      username = aws_iam_user.demo[key].name
      metadata = metadata == "" ? null : metadata
    }
  ]
  credentials_handler_arn       = aws_lambda_function.consumer.arn
  credentials_handler_role_name = aws_iam_role.consumer.name

  schedule_expression    = var.schedule_expression
  schedule_timezone      = var.schedule_timezone
  enabled                = var.enabled
  cleanup_wait_seconds   = var.cleanup_wait_seconds
  last_use_delay_seconds = var.last_use_delay_seconds
  old_key_action         = var.old_key_action
  max_key_age_days       = var.max_key_age_days
  max_concurrency        = var.max_concurrency
  exclude_users          = var.exclude_users
  kms_key_arn            = aws_kms_key.this.arn
  alarm_sns_topic_arn    = local.alarm_topic_arn
  log_retention_days     = var.log_retention_days
  lambda_runtime         = var.lambda_runtime
  tags                   = var.tags
}
