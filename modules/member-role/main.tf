# The role a credentials rotator (the hub) assumes in this account to rotate its IAM users' access
# keys. It trusts only the hub's function roles, by exact ARN, and allows only the access-key
# actions the hub's functions call, on the users it names or selects, and the one listing action
# the hub's plan function needs to select users. The users' secrets stay in the hub: nothing here
# reads or stores a key.

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  users_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:user"

  # A user's ARN is user<path><name> and names are unique in an account whatever the path, so
  # user/<name> (path "/") and user/*/<name> (any other path) name exactly that user, as the hub's
  # own policies do.
  usernames = distinct(var.usernames)
  listed_user_arns = flatten([for name in local.usernames : [
    "${local.users_arn}/${name}",
    "${local.users_arn}/*/${name}",
  ]])

  # Users selected at run time: under the path prefix ("/" without one), with a tag only those
  # that carry it. Without usernames, path or tag, every user of the account.
  selects_users      = var.user_path_prefix != null || var.user_tag != null || length(local.usernames) == 0
  selected_users_arn = "${local.users_arn}${var.user_path_prefix == null ? "/" : var.user_path_prefix}*"
  # How the hub's plan function lists them (credentials_rotator.aws.selection): ListUsers filters by
  # path but returns no tags; GetAccountAuthorizationDetails returns every user with its tags.
  user_listing_action = var.user_tag == null ? "iam:ListUsers" : "iam:GetAccountAuthorizationDetails"

  # Every IAM call the hub's functions make on a user (credentials_rotator.aws.access_keys, in_use and
  # strays): tests/terraform/test_tf_member_role.py checks this list against the code.
  key_actions = [
    "iam:CreateAccessKey",
    "iam:DeleteAccessKey",
    "iam:GetAccessKeyLastUsed",
    "iam:ListAccessKeys",
    "iam:UpdateAccessKey",
  ]

  policy = {
    Version = "2012-10-17"
    Statement = concat(
      length(local.listed_user_arns) == 0 ? [] : [
        {
          Sid      = "RotateKeysOfListedUsers"
          Effect   = "Allow"
          Action   = local.key_actions
          Resource = local.listed_user_arns
        },
      ],
      [
        for selected in local.selects_users ? [local.selected_users_arn] : [] : merge(
          {
            Sid      = "RotateKeysOfSelectedUsers"
            Effect   = "Allow"
            Action   = local.key_actions
            Resource = selected
          },
          # The tag must be on the user: present (any value) or equal to the value. IAM compares
          # tag keys in condition keys without case and values with StringEquals, as plan does.
          var.user_tag == null ? {} : {
            Condition = {
              (var.user_tag.value == null ? "Null" : "StringEquals") = {
                "iam:ResourceTag/${var.user_tag.key}" = var.user_tag.value == null ? "false" : var.user_tag.value
              }
            }
          },
        )
      ],
      local.selects_users && var.allow_user_listing ? [
        {
          # Neither listing action takes a resource: AWS requires "*".
          Sid      = "ListSelectedUsers"
          Effect   = "Allow"
          Action   = local.user_listing_action
          Resource = "*"
        },
      ] : [],
    )
  }
  policy_json = jsonencode(local.policy)

  # Only the hub's function roles, by exact ARN; with the organization and the external ID when
  # given.
  trust_conditions = {
    for key, value in { "aws:PrincipalOrgID" = var.organization_id, "sts:ExternalId" = var.external_id } :
    key => value if value != null
  }
  trust_policy = {
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "HubFunctionsAssumeRole"
        Effect    = "Allow"
        Principal = { AWS = sort(distinct(var.hub_role_arns)) }
        Action    = "sts:AssumeRole"
      },
      length(local.trust_conditions) == 0 ? {} : { Condition = { StringEquals = local.trust_conditions } },
    )]
  }

  # IAM caps all inline policies of a role at 10,240 characters (whitespace not counted;
  # jsonencode writes none).
  inline_policy_limit = 10240
}

resource "aws_iam_role" "this" {
  name                 = var.role_name
  path                 = var.role_path
  description          = "Lets the credentials rotator's functions in the hub account rotate the access keys of IAM users in this account."
  assume_role_policy   = jsonencode(local.trust_policy)
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = var.role_name
  role   = aws_iam_role.this.id
  policy = local.policy_json

  lifecycle {
    precondition {
      condition     = length(local.policy_json) <= local.inline_policy_limit
      error_message = "The role's policy is ${length(local.policy_json)} characters, more than the ${local.inline_policy_limit} IAM allows a role's inline policies: each name in usernames adds two user ARNs. Name fewer users, or select them with user_path_prefix or user_tag (and the same selection in the hub's accounts)."
    }
  }
}
