# The listed users' key actions, as managed policies. IAM caps all inline policies of a role at
# 10,240 characters, and a user list the module accepts (up to 8,192 bytes in its parameter) names
# up to about 480 users, two ARNs each: too many for one role's inline policies. Managed policies
# hold 6,144 characters each, and a role takes 10 of them; the ARNs are split into as few policies
# as their longest ARN allows, the same split for every function that acts on keys.

locals {
  # What a managed policy of the split holds besides its ARNs, and what each ARN adds to it
  # (quotes and a comma); whitespace does not count (jsonencode writes none).
  managed_policy_limit    = 6144
  listed_users_statement  = 400
  longest_user_arn        = max(0, [for arn in local.user_arns : length(arn)]...)
  user_arns_per_policy    = floor((local.managed_policy_limit - local.listed_users_statement) / (local.longest_user_arn + 3))
  user_arn_chunks         = length(local.user_arns) == 0 ? [] : chunklist(local.user_arns, local.user_arns_per_policy)
  managed_policies_a_role = 10

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

  lifecycle {
    precondition {
      condition     = length(local.user_arn_chunks) <= local.managed_policies_a_role
      error_message = "The listed users need ${length(local.user_arn_chunks)} managed policies per function, and IAM attaches at most ${local.managed_policies_a_role} to a role: list fewer users, or select them with user_path_prefix or user_tag."
    }
  }
}

resource "aws_iam_role_policy_attachment" "listed_users" {
  for_each = local.listed_user_policies

  role       = aws_iam_role.function[each.value.function].name
  policy_arn = aws_iam_policy.listed_users[each.key].arn
}
