# Member accounts (credentials_rotator.accounts): users of other accounts, rotated with a role the
# functions assume there (modules/member-role creates it). A member user's secret stays in this
# account, named <name>/<account_id>/<username>; its keys are changed only through that role.

locals {
  # Every member account: those of listed users and those of the accounts input.
  member_account_ids = sort(distinct(concat(
    keys(var.accounts),
    [for user in local.rotated_users : user.account_id if user.account_id != null && user.account_id != local.account_id],
  )))
  member_role_names = { for id in local.member_account_ids : id => coalesce(try(var.accounts[id].role_name, null), var.member_role_name) }
  member_role_arns  = { for id, role_name in local.member_role_names : id => "arn:${local.partition}:iam::${id}:role/${role_name}" }

  # The functions that act on member users' keys: plan lists an account's users only when the
  # account selects them by path or tag.
  member_selects_users = anytrue([for account in values(var.accounts) : account.user_path_prefix != null || account.user_tag != null])
  member_functions     = length(local.member_account_ids) == 0 ? [] : concat(local.member_selects_users ? ["plan"] : [], ["rotate", "roll_back", "finish"])

  # ACCOUNTS (credentials_rotator.config_values): each account's settings, those without a value
  # left out, and accounts without any (they only grant the role) left out too.
  account_settings = {
    for id, account in var.accounts : id => {
      for key, value in {
        roleName       = account.role_name
        userPathPrefix = account.user_path_prefix
        userTag        = account.user_tag
        excludeUsers   = length(account.exclude_users) == 0 ? null : sort(account.exclude_users)
      } : key => value if value != null
    }
  }
  configured_accounts  = { for id, settings in local.account_settings : id => settings if length(settings) > 0 }
  accounts_environment = length(local.configured_accounts) == 0 ? "" : jsonencode(local.configured_accounts)

  # The member roles by exact ARN while they fit a managed policy (6,144 characters); past that,
  # by role name in any account, limited to the member accounts by aws:ResourceAccount. Either
  # way a member account decides by its role's trust policy (modules/member-role), which names
  # these functions' roles.
  member_role_arn_list = sort(values(local.member_role_arns))
  member_roles_by_arn  = length(jsonencode(local.member_role_arn_list)) <= local.managed_policy_limit - 400
  member_roles_statement = merge(
    {
      Sid      = "AssumeMemberRoles"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = local.member_roles_by_arn ? local.member_role_arn_list : sort(distinct([for name in values(local.member_role_names) : "arn:${local.partition}:iam::*:role/${name}"]))
    },
    local.member_roles_by_arn ? {} : { Condition = { StringEquals = { "aws:ResourceAccount" = local.member_account_ids } } },
  )
  member_roles_policy = jsonencode({ Version = "2012-10-17", Statement = [local.member_roles_statement] })
}

resource "aws_iam_policy" "member_roles" {
  count = length(local.member_account_ids) == 0 ? 0 : 1

  name        = "${var.name}-member-roles"
  description = "Lets the ${var.name} functions that act on member accounts' keys assume their member roles."
  policy      = local.member_roles_policy
  tags        = var.tags

  lifecycle {
    precondition {
      condition     = length(local.member_roles_policy) <= local.managed_policy_limit
      error_message = "The member accounts' roles need a policy of ${length(local.member_roles_policy)} characters, more than the 6,144 IAM allows a managed policy: split the member accounts between two instances of the module."
    }
  }
}

resource "aws_iam_role_policy_attachment" "member_roles" {
  for_each = toset(length(local.member_account_ids) == 0 ? [] : local.member_functions)

  role       = aws_iam_role.function[each.key].name
  policy_arn = aws_iam_policy.member_roles[0].arn
}
