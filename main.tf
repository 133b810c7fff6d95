# Shared values and the users parameter. The functions, the state machine, the
# schedule, IAM and the alarm live in lambda.tf, state_machine.tf, schedule.tf, iam.tf and alarm.tf.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # The listed users minus the excluded ones (IAM user names ignore case): exclude_users in the
  # module's account, an account's exclude_users in a member account (accounts.tf).
  excluded_usernames = [for name in var.exclude_users : lower(name)]
  rotated_users = [
    for user in var.users : user if !contains(
      user.account_id == null || user.account_id == local.account_id ? local.excluded_usernames
      : [for name in try(var.accounts[user.account_id].exclude_users, []) : lower(name)],
      lower(user.username)
    )
  ]
  hub_users = [for user in local.rotated_users : user if user.account_id == null || user.account_id == local.account_id]
  # The rotator's name of each user (credentials_rotator.aws.accounts): a member user is
  # <account_id>/<username>, and so is its secret's name after the prefix.
  rotated_user_names = [
    for user in local.rotated_users :
    user.account_id == null || user.account_id == local.account_id ? user.username : "${user.account_id}/${user.username}"
  ]

  # The users parameter (docs/design.md): a JSON list of {"username", "metadata", "accountId"},
  # metadata and accountId omitted when null. Its size in bytes decides the tier; Terraform's length() counts characters, so the
  # byte count comes from the base64 form: 3 bytes per 4 characters, less the padding.
  users_parameter_name = "/${var.name}/users"
  users_parameter_value = jsonencode([
    for user in local.rotated_users : {
      for key, value in { username = user.username, metadata = user.metadata, accountId = user.account_id } : key => value if value != null
    }
  ])
  users_parameter_base64 = base64encode(local.users_parameter_value)
  users_parameter_bytes  = length(local.users_parameter_base64) / 4 * 3 - length(regex("=*$", local.users_parameter_base64))
  users_parameter_tier   = local.users_parameter_bytes <= 4096 ? "Standard" : "Advanced"

  secret_name_prefix = "${var.name}/"

  # An IAM path: "/" or "/" + printable ASCII + "/", at most 512 characters. The inputs that take
  # one validate it with this (variables.tf). modules/member-role, which supports Terraform
  # versions whose validations cannot read a local, writes it in its own validations;
  # tests/unit/test_iam_path_rule.py holds them to this one.
  iam_path_pattern = "^/([!-~]{1,510}/)?$"

  # How runs tell people (credentials_rotator.aws.notifications, credentials_rotator.aws.metrics): the
  # per-user events' source and bus, and the namespace of the metrics the functions' logs carry.
  event_source = "credentials-rotator.${var.name}"
  event_bus_arn = (
    var.event_bus_name == null ? null
    : startswith(var.event_bus_name, "arn:") ? var.event_bus_name
    : "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus_name}"
  )
  metrics_namespace = "CredentialsRotator"

  # The period of a rate() schedule in seconds; null for cron().
  rate_match = regexall("^rate\\(([0-9]+) (minute|hour|day)s?\\)$", var.schedule_expression)
  rate_period_seconds = (
    length(local.rate_match) == 0 ? null
    : tonumber(local.rate_match[0][0]) * { minute = 60, hour = 3600, day = 86400 }[local.rate_match[0][1]]
  )

  # Exact ARNs, computed from names so that every policy and the state machine definition are known
  # at plan time. A user's ARN is user<path><name> and names are unique in an account whatever the
  # path, so user/<name> (path "/") and user/*/<name> (any other path) name exactly that user. IAM
  # refuses a resource path that does not start with "user/", such as user*/<name>.
  user_arns = flatten([for user in local.hub_users : [
    "arn:${local.partition}:iam::${local.account_id}:user/${user.username}",
    "arn:${local.partition}:iam::${local.account_id}:user/*/${user.username}",
  ]])
  secrets_arn_pattern = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:${local.secret_name_prefix}*"
  users_parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.users_parameter_name}"
  state_machine_arn   = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${var.name}"
}

resource "aws_ssm_parameter" "users" {
  name           = local.users_parameter_name
  description    = "IAM users whose access keys ${var.name} rotates (JSON list of username and metadata)."
  type           = "String"
  tier           = local.users_parameter_tier
  insecure_value = local.users_parameter_value
  tags           = var.tags

  lifecycle {
    precondition {
      condition     = local.users_parameter_bytes <= 8192
      error_message = "The users list encodes to more than 8192 bytes of JSON, the limit of an Advanced SSM parameter. Shorten the metadata, or split the users between two instances of the module with different names."
    }
  }
}

# The users' secrets are the rotator's: it creates each at the user's first rotation, with
# kms_key_arn and tags, and restores one scheduled for deletion (docs/design.md, "The user's
# secret"). Terraform creates none, so no list change, destroy or apply ever meets a secret of the
# same name in the way, and a consumer still reading its secret keeps it after a destroy.
