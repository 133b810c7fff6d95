# One role per function, one for the state machine, one for the schedule; inline policies, but for
# the listed users' key actions, which need managed policies for their size (iam_listed_users.tf).
# Every resource is an exact ARN built in main.tf, or the path pattern of the users selected at run
# time; the only "*" resources are the CloudWatch Logs delivery actions of the state machine and the
# user listing of the plan function, which AWS does not scope to a resource.
# Reading delivery records in batches (secretsmanager:BatchGetSecretValue) also takes no resource;
# Secrets Manager authorizes each secret it returns as a GetSecretValue on that secret. S3 ARNs name
# no account, so every S3 statement requires the run-data bucket to be in this account.
# tests/terraform/test_tf_least_privilege.py checks these actions against the engine's code, and
# the workflow tier authorizes every call the functions make against these policies.

locals {
  # Resources of each service's actions.
  service_resources = {
    iam            = [] # the listed users: iam_listed_users.tf
    secretsmanager = [local.secrets_arn_pattern]
    ssm            = [local.users_parameter_arn]
    states         = [local.state_machine_arn]
    # A run's files in the run-data bucket (s3.tf).
    s3 = [local.run_data_objects_arn]
  }

  # Users selected at run time (user_path_prefix, user_tag): the key actions also reach the users
  # under the path prefix ("/" without one) and, with a tag, only those that carry it. IAM compares
  # tag keys in condition keys without case and values with StringEquals, as plan matches them.
  selects_users      = local.user_listing[local.account_id] != null
  selected_users_arn = "arn:${local.partition}:iam::${local.account_id}:user${var.user_path_prefix == null ? "/" : var.user_path_prefix}*"
  # How plan lists them (settings.tf).
  user_listing_action = "iam:${coalesce(local.user_listing[local.account_id], "ListUsers")}"

  # The AWS calls each function makes, by service (the functions' code and the package functions
  # it calls).
  function_actions = {
    plan = {
      ssm    = ["ssm:GetParameter"]
      states = ["states:ListExecutions"]
      s3     = ["s3:PutObject"]
    }
    read_records = {
      # Each secret BatchGetSecretValue returns is authorized as a GetSecretValue on it.
      secretsmanager = ["secretsmanager:GetSecretValue"]
    }
    rotate = {
      # It deactivates a previous key still in use when in_use_key_action = "deactivate".
      iam = concat(
        ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"],
        var.in_use_key_action == "deactivate" ? ["iam:UpdateAccessKey"] : [],
      )
      secretsmanager = [
        "secretsmanager:CreateSecret",
        # A secret scheduled for deletion is restored (credentials_rotator.aws.secret_lifecycle).
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:RestoreSecret",
        # CreateSecret with Tags also needs TagResource.
        "secretsmanager:TagResource",
        "secretsmanager:UpdateSecretVersionStage",
      ]
      # Proving a key a stray: the recent runs and a run's items (credentials_rotator.run.strays).
      states = ["states:ListExecutions"]
      s3     = ["s3:GetObject"]
    }
    roll_back = {
      iam            = ["iam:DeleteAccessKey"]
      secretsmanager = ["secretsmanager:UpdateSecretVersionStage"]
    }
    record_outcomes = {
      s3 = ["s3:PutObject"]
    }
    finish = {
      # It retires the delivered key as old_key_action says, unless in_use_key_action says what to
      # do with a key still in use: check when it was last used (listing the user's keys when
      # AWS denies that for a key deleted by hand), then keep it (recording the deferral on the
      # user's secret: a stage on its current version and a tag) or deactivate it; sooner than
      # last_use_delay_seconds after the handoff it leaves the key for a later run (the stage
      # alone) (credentials_rotator.run.in_use, credentials_rotator.run.deferrals).
      iam = distinct(concat(
        [var.old_key_action == "delete" ? "iam:DeleteAccessKey" : "iam:UpdateAccessKey"],
        var.in_use_key_action == "retire" ? [] : ["iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"],
        var.in_use_key_action == "deactivate" ? ["iam:UpdateAccessKey"] : [],
      ))
      secretsmanager = concat(
        var.in_use_key_action == "retire" ? [] : ["secretsmanager:DescribeSecret", "secretsmanager:UpdateSecretVersionStage"],
        var.in_use_key_action == "defer" ? ["secretsmanager:TagResource"] : [],
      )
      s3 = ["s3:GetObject", "s3:PutObject"]
    }
  }

  # Functions that read run data: without s3:ListBucket a missing file would read as AccessDenied
  # instead of NoSuchKey, and an expired or unrecorded file is an expected answer for them.
  run_data_readers = [for key, by_service in local.function_actions : key if contains(lookup(by_service, "s3", []), "s3:GetObject")]

  # rotate reads a batch's delivery records with BatchGetSecretValue, an action without a resource
  # type (AWS requires "*"); Secrets Manager then authorizes each secret as a GetSecretValue, which
  # the CallSecretsmanager statement limits to this module's secrets.
  batch_read_functions = ["read_records"]

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
  # With a customer managed key, S3 encrypts run data (SSE-KMS) on the caller's behalf as well.
  kms_actions_for_object_action = {
    "s3:GetObject" = "kms:Decrypt"
    "s3:PutObject" = "kms:GenerateDataKey"
  }
  kms_via_s3 = { StringEquals = { "kms:ViaService" = "s3.${local.region}.amazonaws.com" } }
  function_run_data_kms_actions = {
    for key, by_service in local.function_actions : key => sort(distinct([
      for action in lookup(by_service, "s3", []) : local.kms_actions_for_object_action[action]
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
          for service, actions in by_service : merge(
            {
              Sid      = "Call${title(service)}"
              Effect   = "Allow"
              Action   = sort(actions)
              Resource = local.service_resources[service]
            },
            # S3 ARNs name no account: the bucket must be this account's.
            service == "s3" ? { Condition = local.same_account_bucket } : {},
          ) if length(local.service_resources[service]) > 0 && length(actions) > 0
        ],
        contains(local.batch_read_functions, key) ? [
          {
            Sid      = "ReadDeliveryRecordsInBatches"
            Effect   = "Allow"
            Action   = "secretsmanager:BatchGetSecretValue"
            Resource = "*"
          },
        ] : [],
        contains(local.run_data_readers, key) ? [
          {
            Sid       = "ListRunData"
            Effect    = "Allow"
            Action    = "s3:ListBucket"
            Resource  = local.run_data_bucket_arn
            Condition = local.same_account_bucket
          },
        ] : [],
        [
          for actions in local.selects_users && var.user_tag == null ? [lookup(by_service, "iam", [])] : [] : {
            Sid      = "CallIamOnSelectedUsers"
            Effect   = "Allow"
            Action   = sort(actions)
            Resource = local.selected_users_arn
          } if length(actions) > 0
        ],
        [
          for tag in var.user_tag == null ? [] : [var.user_tag] : {
            Sid      = "CallIamOnSelectedUsers"
            Effect   = "Allow"
            Action   = sort(lookup(by_service, "iam", []))
            Resource = local.selected_users_arn
            # The tag must be on the user: present (any value) or equal to the value.
            Condition = {
              (tag.value == null ? "Null" : "StringEquals") = {
                "iam:ResourceTag/${tag.key}" = tag.value == null ? "false" : tag.value
              }
            }
          } if length(lookup(by_service, "iam", [])) > 0
        ],
        key != "plan" || !local.selects_users ? [] : [
          {
            # Neither listing action takes a resource: AWS requires "*".
            Sid      = "ListSelectedUsers"
            Effect   = "Allow"
            Action   = local.user_listing_action
            Resource = "*"
          },
        ],
        key != "finish" ? [] : [
          {
            Sid       = "WriteLastSummary"
            Effect    = "Allow"
            Action    = "s3:PutObject"
            Resource  = local.last_summary_arn
            Condition = local.same_account_bucket
          },
        ],
        key != "finish" || local.event_bus_arn == null ? [] : [
          {
            # Only the module's own source: the role cannot pass for another producer on the bus.
            Sid       = "SendRunEvents"
            Effect    = "Allow"
            Action    = "events:PutEvents"
            Resource  = local.event_bus_arn
            Condition = { StringEquals = { "events:source" = local.event_source } }
          },
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
        var.kms_key_arn == null || length(local.function_run_data_kms_actions[key]) == 0 ? [] : [
          {
            Sid       = "UseRunDataKey"
            Effect    = "Allow"
            Action    = local.function_run_data_kms_actions[key]
            Resource  = var.kms_key_arn
            Condition = local.kms_via_s3
          },
        ],
      )
    }
  }

  state_machine_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [
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
          # The Distributed Map reads the run's batches (ItemReader) from the run-data bucket.
          Sid       = "ReadRunItems"
          Effect    = "Allow"
          Action    = "s3:GetObject"
          Resource  = local.run_data_objects_arn
          Condition = local.same_account_bucket
        },
        {
          # A Distributed Map runs each batch as a child execution of this state machine.
          Sid      = "StartBatches"
          Effect   = "Allow"
          Action   = "states:StartExecution"
          Resource = local.state_machine_arn
        },
        {
          # The children of a Distributed Map: tracked, stopped, and redriven with their run.
          Sid    = "TrackBatches"
          Effect = "Allow"
          Action = ["states:DescribeExecution", "states:RedriveExecution", "states:StopExecution"]
          Resource = [
            "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.name}:*",
            "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${var.name}/*:*",
          ]
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
      ],
      var.kms_key_arn == null ? [] : [
        {
          Sid       = "DecryptRunItems"
          Effect    = "Allow"
          Action    = "kms:Decrypt"
          Resource  = var.kms_key_arn
          Condition = local.kms_via_s3
        },
      ],
    )
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

# Who may assume each kind of role; the state machine's and the schedule's only for this account.
locals {
  trust_policy = {
    for key, trust in {
      lambda    = { service = "lambda.amazonaws.com", condition = null }
      states    = { service = "states.amazonaws.com", condition = local.same_account }
      scheduler = { service = "scheduler.amazonaws.com", condition = local.same_account }
      } : key => jsonencode({
        Version = "2012-10-17"
        Statement = [merge(
          { Effect = "Allow", Principal = { Service = trust.service }, Action = "sts:AssumeRole" },
          trust.condition == null ? {} : { Condition = trust.condition },
        )]
    })
  }
}

resource "aws_iam_role" "function" {
  for_each = local.function_names

  name               = each.value
  description        = "Runs the ${each.value} function of the ${var.name} credentials rotator."
  assume_role_policy = local.trust_policy.lambda
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = local.managed_policies[each.key] <= local.managed_policies_a_role
      error_message = "The role of ${each.value} needs ${local.managed_policies[each.key]} managed policies (${length(local.user_arn_chunks)} naming the listed users, ${length(local.member_role_arn_chunks)} the member roles), and IAM attaches at most ${local.managed_policies_a_role} to a role by default: list fewer users (select them with user_path_prefix or user_tag, in their own account too), or split the users and member accounts between two instances of the module."
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.function_names

  name   = each.value
  role   = aws_iam_role.function[each.key].id
  policy = jsonencode(local.function_policies[each.key])
}

# The state machine's role and the schedule's, each with its trust and its policy.
locals {
  service_roles = {
    state_machine = {
      name        = "${var.name}-states"
      description = "Runs the ${var.name} credentials rotation state machine."
      trust       = local.trust_policy.states
      policy      = local.state_machine_policy
    }
    schedule = {
      name        = "${var.name}-schedule"
      description = "Lets the ${var.name} schedule start credentials rotation runs."
      trust       = local.trust_policy.scheduler
      policy      = local.schedule_policy
    }
  }
}

resource "aws_iam_role" "service" {
  for_each = local.service_roles

  name               = each.value.name
  description        = each.value.description
  assume_role_policy = each.value.trust
  tags               = var.tags
}

resource "aws_iam_role_policy" "service" {
  for_each = local.service_roles

  name   = each.value.name
  role   = aws_iam_role.service[each.key].id
  policy = jsonencode(each.value.policy)
}

resource "aws_iam_role_policy" "credentials_handler" {
  count = var.credentials_handler_role_name == null ? 0 : 1

  name   = "${var.name}-read-credentials"
  role   = var.credentials_handler_role_name
  policy = jsonencode(local.credentials_handler_policy)
}
