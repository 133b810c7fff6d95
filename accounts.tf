# Member accounts (credentials_rotator.aws.accounts): users of other accounts, rotated with a role the
# functions assume there (modules/member-role creates it). A member user's secret stays in this
# account, named <name>/<account_id>/<username>; its keys are changed only through that role.

locals {
  # Every member account: those of listed users and those of the accounts input.
  member_account_ids = sort(distinct(concat(
    keys(var.accounts),
    [for user in local.rotated_users : user.account_id if user.account_id != null && user.account_id != local.account_id],
  )))
  member_role_names = { for id in local.member_account_ids : id => coalesce(try(var.accounts[id].role_name, null), var.member_role_name) }
  role_arn_format   = "arn:${local.partition}:iam::%s:role/%s"
  member_role_arns  = { for id, role_name in local.member_role_names : id => format(local.role_arn_format, id, role_name) }

  # The functions that act on member users' keys: plan lists an account's users only when the
  # account selects them by path or tag (settings.tf).
  member_selects_users = anytrue([for id in keys(var.accounts) : local.user_listing[id] != null])
  member_functions     = length(local.member_account_ids) == 0 ? [] : concat(local.member_selects_users ? ["plan"] : [], ["rotate", "roll_back", "finish"])

  # The member roles by exact ARN, split into managed policies as the listed users are
  # (iam_listed_users.tf). Never a role name in any account narrowed by aws:ResourceAccount: AWS
  # does not document that key as present in sts:AssumeRole's request context, and without it
  # every member account would be unreachable. Either way a member account decides by its role's
  # trust policy (modules/member-role), which names these functions' roles.
  member_role_arn_list   = sort(values(local.member_role_arns))
  member_role_arn_chunks = local.arn_chunks.member_roles
  member_role_policies = {
    for pair in setproduct(local.member_functions, range(length(local.member_role_arn_chunks))) :
    "${pair[0]}-${pair[1]}" => { function = pair[0], chunk = pair[1] }
  }
}

resource "aws_iam_policy" "member_roles" {
  for_each = local.member_role_policies

  name        = "${local.function_names[each.value.function]}-member-roles-${each.value.chunk}"
  description = "Lets ${local.function_names[each.value.function]} assume the member roles of the accounts whose keys it acts on (part ${each.value.chunk + 1} of ${length(local.member_role_arn_chunks)})."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "AssumeMemberRoles"
        Effect   = "Allow"
        Action   = "sts:AssumeRole"
        Resource = local.member_role_arn_chunks[each.value.chunk]
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "member_roles" {
  for_each = local.member_role_policies

  role       = aws_iam_role.function[each.value.function].name
  policy_arn = aws_iam_policy.member_roles[each.key].arn
}
