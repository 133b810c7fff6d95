# The listed users' key actions, as managed policies. IAM caps all inline policies of a role at
# 10,240 characters, and a user list the module accepts (up to 8,192 bytes in its parameter) names
# up to about 480 users, two ARNs each: too many for one role's inline policies. Managed policies
# hold 6,144 characters each, and a role takes 10 of them; the ARNs are split into as few policies
# as their longest ARN allows, the same split for every function that acts on keys. The member
# roles' ARNs are split the same way (accounts.tf).

locals {
  # What a managed policy of a split holds besides its ARNs, and what each ARN adds to it (quotes
  # and a comma); whitespace does not count (jsonencode writes none).
  managed_policy_limit     = 6144
  managed_policy_statement = 400
  managed_policies_a_role  = 10
  arns_to_split = {
    listed_users = local.user_arns
    member_roles = local.member_role_arn_list
  }
  arn_chunks = {
    for kind, arns in local.arns_to_split : kind => length(arns) == 0 ? [] : chunklist(arns, floor(
      (local.managed_policy_limit - local.managed_policy_statement) / (max([for arn in arns : length(arn)]...) + 3)
    ))
  }
  user_arn_chunks = local.arn_chunks.listed_users
  # The managed policies each function's role gets: the listed users' and the member roles'.
  managed_policies = {
    for key in keys(local.functions) : key => (
      (contains(keys(local.key_actions), key) ? length(local.user_arn_chunks) : 0)
      + (contains(local.member_functions, key) ? length(local.member_role_arn_chunks) : 0)
    )
  }

  # The functions that act on the users' keys, and their IAM actions.
  key_actions = {
    for key, by_service in local.function_actions : key => sort(by_service.iam) if contains(keys(by_service), "iam")
  }
  listed_user_policies = {
    for pair in setproduct(keys(local.key_actions), range(length(local.user_arn_chunks))) :
    "${pair[0]}-${pair[1]}" => { function = pair[0], chunk = pair[1] }
  }
}

resource "aws_iam_policy" "listed_users" {
  for_each = local.listed_user_policies

  name        = "${local.function_names[each.value.function]}-users-${each.value.chunk}"
  description = "Lets ${local.function_names[each.value.function]} act on the keys of listed users (part ${each.value.chunk + 1} of ${length(local.user_arn_chunks)})."
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "CallIamOnListedUsers"
        Effect   = "Allow"
        Action   = local.key_actions[each.value.function]
        Resource = local.user_arn_chunks[each.value.chunk]
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "listed_users" {
  for_each = local.listed_user_policies

  role       = aws_iam_role.function[each.value.function].name
  policy_arn = aws_iam_policy.listed_users[each.key].arn
}
