# One role per function, one for the state machine, one for the schedule; inline policies only.
# Every resource is an exact ARN built in main.tf; the only "*" resources are the CloudWatch Logs
# delivery actions of the state machine, which AWS does not scope to a resource.
# tests/terraform/test_least_privilege.py checks these actions against the engine's code.

locals {
  # Resources of each service's actions.
  service_resources = {
    iam            = local.user_arns
    secretsmanager = [local.secrets_arn_pattern]
    ssm            = [local.users_parameter_arn]
    states         = [local.state_machine_arn]
  }

  # The AWS calls each function makes, by service (the functions' code and the package modules it
  # imports).
  function_actions = {
    plan = {
      ssm    = ["ssm:GetParameter"]
      states = ["states:ListExecutions"]
    }
    rotate = {
      iam = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"]
      secretsmanager = [
        "secretsmanager:CreateSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        # CreateSecret with Tags also needs TagResource.
        "secretsmanager:TagResource",
        "secretsmanager:UpdateSecretVersionStage",
      ]
    }
    roll_back = {
      iam            = ["iam:DeleteAccessKey"]
      secretsmanager = ["secretsmanager:UpdateSecretVersionStage"]
    }
    finish = {
      iam = ["iam:DeleteAccessKey", "iam:UpdateAccessKey"]
    }
  }

  # With a customer managed key, Secrets Manager decrypts for reads and generates a data key for
  # writes on the caller's behalf.
  kms_actions_for_secret_action = {
    "secretsmanager:GetSecretValue" = "kms:Decrypt"
    "secretsmanager:PutSecretValue" = "kms:GenerateDataKey"
    "secretsmanager:CreateSecret"   = "kms:GenerateDataKey"
  }
  kms_via_secrets_manager = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
  function_kms_actions = {
    for key, by_service in local.function_actions : key => sort(distinct([
      for action in lookup(by_service, "secretsmanager", []) :
      local.kms_actions_for_secret_action[action] if contains(keys(local.kms_actions_for_secret_action), action)
    ]))
  }

  function_policies = {
    for key, by_service in local.function_actions : key => {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "WriteOwnLogs"
            Effect   = "Allow"
            Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
            Resource = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${local.function_names[key]}:*"
          },
        ],
        [
          for service, actions in by_service : {
            Sid      = "Call${title(service)}"
            Effect   = "Allow"
            Action   = sort(actions)
            Resource = local.service_resources[service]
          } if length(local.service_resources[service]) > 0
        ],
        var.kms_key_arn == null || length(local.function_kms_actions[key]) == 0 ? [] : [
          {
            Sid       = "UseSecretsKey"
            Effect    = "Allow"
            Action    = local.function_kms_actions[key]
            Resource  = var.kms_key_arn
            Condition = local.kms_via_secrets_manager
          },
        ],
      )
    }
  }

  state_machine_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "InvokeFunctions"
        Effect   = "Allow"
        Action   = "lambda:InvokeFunction"
        Resource = concat(values(local.function_arns), [var.credentials_handler_arn])
      },
      {
        Sid      = "MarkDelivered"
        Effect   = "Allow"
        Action   = "secretsmanager:UpdateSecretVersionStage"
        Resource = local.secrets_arn_pattern
      },
      {
        # Log delivery to CloudWatch Logs; these actions do not support resource-level permissions.
        Sid    = "DeliverLogs"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:DescribeLogGroups",
          "logs:DescribeResourcePolicies",
          "logs:GetLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:UpdateLogDelivery",
        ]
        Resource = "*"
      },
    ]
  }

  schedule_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "StartRun"
        Effect   = "Allow"
        Action   = "states:StartExecution"
        Resource = local.state_machine_arn
      },
    ]
  }

  # What the user's credentials handler needs: read this module's secrets, nothing else.
  credentials_handler_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "ReadRotatedCredentials"
          Effect   = "Allow"
          Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
          Resource = local.secrets_arn_pattern
        },
      ],
      var.kms_key_arn == null ? [] : [
        {
          Sid       = "DecryptRotatedCredentials"
          Effect    = "Allow"
          Action    = "kms:Decrypt"
          Resource  = var.kms_key_arn
          Condition = local.kms_via_secrets_manager
        },
      ],
    )
  }

  same_account = { StringEquals = { "aws:SourceAccount" = local.account_id } }
}

resource "aws_iam_role" "function" {
  for_each = local.function_names

  name        = each.value
  description = "Runs the ${each.value} function of the ${var.name} credentials rotator."
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

resource "aws_iam_role_policy" "function" {
  for_each = local.function_names

  name   = each.value
  role   = aws_iam_role.function[each.key].id
  policy = jsonencode(local.function_policies[each.key])
}

resource "aws_iam_role" "state_machine" {
  name        = "${var.name}-states"
  description = "Runs the ${var.name} credentials rotation state machine."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "states.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = local.same_account
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${var.name}-states"
  role   = aws_iam_role.state_machine.id
  policy = jsonencode(local.state_machine_policy)
}

resource "aws_iam_role" "schedule" {
  name        = "${var.name}-schedule"
  description = "Lets the ${var.name} schedule start credentials rotation runs."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "scheduler.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = local.same_account
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "schedule" {
  name   = "${var.name}-schedule"
  role   = aws_iam_role.schedule.id
  policy = jsonencode(local.schedule_policy)
}

resource "aws_iam_role_policy" "credentials_handler" {
  count = var.credentials_handler_role_name == null ? 0 : 1

  name   = "${var.name}-read-credentials"
  role   = var.credentials_handler_role_name
  policy = jsonencode(local.credentials_handler_policy)
}
