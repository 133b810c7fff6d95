# Member accounts (accounts.tf): who may assume which member role, what the functions are told,
# and every bad input refused at plan.

# Account 123456789012, region us-east-1, partition aws: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name = "ci-keys"
  users = [
    { username = "homer" },
    { username = "homer", account_id = "111122223333", metadata = "ci" },
    { username = "marge", account_id = "123456789012" },
  ]
  accounts = {
    "444455556666" = { user_path_prefix = "/ci/", exclude_users = ["Robot", "bot"] }
    "777788889999" = { user_tag = { key = "rotate", value = "yes" }, role_name = "key-rotation" }
  }
  credentials_handler_arn = "arn:aws:lambda:us-east-1:123456789012:function:key-consumer"
}

run "member_roles_are_assumed_by_exact_arn_from_the_functions_that_need_them" {
  command = plan

  assert {
    condition = length(aws_iam_policy.member_roles) == 4 && alltrue([for p in aws_iam_policy.member_roles : jsondecode(p.policy).Statement == [{
      Sid    = "AssumeMemberRoles"
      Effect = "Allow"
      Action = "sts:AssumeRole"
      Resource = [
        "arn:aws:iam::111122223333:role/credentials-rotator-member",
        "arn:aws:iam::444455556666:role/credentials-rotator-member",
        "arn:aws:iam::777788889999:role/key-rotation",
      ]
    }]])
    error_message = "The functions may assume exactly the member role of each member account (listed users' and accounts'), by its own role name or the default."
  }

  assert {
    condition     = sort(keys(aws_iam_role_policy_attachment.member_roles)) == tolist(["finish-0", "plan-0", "roll_back-0", "rotate-0"])
    error_message = "plan (accounts select users), rotate, roll_back and finish assume member roles; read_records and record_outcomes never do."
  }

  assert {
    condition     = output.member_role_arns["777788889999"] == "arn:aws:iam::777788889999:role/key-rotation" && length(output.member_role_arns) == 3
    error_message = "member_role_arns names the role of each member account."
  }
}

run "the_functions_are_told_each_accounts_settings_and_the_users_their_account" {
  command = plan

  assert {
    condition = jsondecode(aws_lambda_function.this["plan"].environment[0].variables.SETTINGS).accounts == {
      "123456789012" = {}
      "444455556666" = { user_path_prefix = "/ci/", exclude_users = ["Robot", "bot"], user_listing = "ListUsers" }
      "777788889999" = {
        role_arn     = "arn:aws:iam::777788889999:role/key-rotation", user_tag = { key = "rotate", value = "yes" },
        user_listing = "GetAccountAuthorizationDetails"
      }
    }
    error_message = "The settings' accounts hold the module's own and each member account of accounts, with its selection and the ARN of a role not member_role_name, without the unset keys (settings.tf)."
  }

  assert {
    condition = jsondecode(aws_ssm_parameter.users.insecure_value) == [
      { username = "homer" },
      { username = "homer", accountId = "111122223333", metadata = "ci" },
      { username = "marge", accountId = "123456789012" },
    ]
    error_message = "The users parameter names each listed user's account when given."
  }

  assert {
    condition = output.secret_names == {
      "homer"              = "ci-keys/homer"
      "111122223333/homer" = "ci-keys/111122223333/homer"
      "marge"              = "ci-keys/marge"
    }
    error_message = "A member user's secret is <name>/<account_id>/<username>; the hub's users keep <name>/<username>."
  }

  assert {
    condition = alltrue([for policy in aws_iam_policy.listed_users : !strcontains(policy.policy, "111122223333")]) && alltrue([
      for policy in aws_iam_policy.listed_users : strcontains(policy.policy, ":user/marge")
    ])
    error_message = "The hub's own key permissions name only the hub's users: a member user's keys are reached through its member role."
  }
}

run "without_selection_in_member_accounts_plan_assumes_no_role" {
  command = plan

  variables {
    accounts = {}
  }

  assert {
    condition     = sort(keys(aws_iam_role_policy_attachment.member_roles)) == tolist(["finish-0", "roll_back-0", "rotate-0"])
    error_message = "plan needs a member role only to list an account's users."
  }

  assert {
    condition     = jsondecode(aws_lambda_function.this["rotate"].environment[0].variables.SETTINGS).accounts == { "123456789012" = {} }
    error_message = "Without accounts, the settings name the module's own account alone."
  }
}

run "without_member_accounts_there_is_no_member_role_grant" {
  command = plan

  variables {
    users    = [{ username = "homer" }]
    accounts = {}
  }

  assert {
    condition     = length(aws_iam_policy.member_roles) == 0 && length(aws_iam_role_policy_attachment.member_roles) == 0
    error_message = "A single-account module grants no sts:AssumeRole."
  }

  assert {
    condition     = output.function_role_arns == [] && output.member_role_arns == {}
    error_message = "Without member accounts there is no role to trust."
  }
}

run "an_excluded_member_user_is_not_listed" {
  command = plan

  variables {
    users = [{ username = "robot", account_id = "444455556666" }, { username = "robot" }]
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.users.insecure_value) == [{ username = "robot" }]
    error_message = "An account's exclude_users (names ignore case) remove its user, not the hub's user of the same name."
  }
}

run "many_member_accounts_are_named_by_exact_arn_across_managed_policies" {
  command = plan

  # AWS does not document aws:ResourceAccount as present in sts:AssumeRole's request context: a
  # role name in any account narrowed by it could leave every member account unreachable.
  variables {
    users    = [{ username = "homer" }]
    accounts = { for n in range(300) : format("1000000%05d", n) => {} }
  }

  assert {
    condition = alltrue([for function in ["rotate", "roll_back", "finish"] :
      sort(flatten([for key, p in aws_iam_policy.member_roles : jsondecode(p.policy).Statement[0].Resource if startswith(key, "${function}-")])) == sort([
        for n in range(300) : format("arn:aws:iam::1000000%05d:role/credentials-rotator-member", n)
      ])
    ])
    error_message = "Every member role is named by its exact ARN, once among each function's member roles' policies."
  }

  assert {
    condition = alltrue([for p in aws_iam_policy.member_roles :
      !strcontains(p.policy, "*") && !can(jsondecode(p.policy).Statement[0].Condition)
      && jsondecode(p.policy).Statement[0].Action == "sts:AssumeRole"
    ])
    error_message = "No wildcard and no condition: exact role ARNs only."
  }

  assert {
    condition     = length(aws_iam_policy.member_roles) == 3 * 4 && alltrue([for p in aws_iam_policy.member_roles : length(p.policy) <= 6144])
    error_message = "300 roles of the default name take 4 managed policies per function, of at most 6,144 characters each."
  }

  assert {
    condition = (
      length(aws_iam_role_policy_attachment.member_roles) == 3 * 4
      && alltrue([for function in ["rotate", "roll_back", "finish"] :
        length([for key, a in aws_iam_role_policy_attachment.member_roles : a if startswith(key, "${function}-")]) == 4
      ])
    )
    error_message = "rotate, roll_back and finish each get the 4 member roles' policies."
  }

  assert {
    condition     = local.settings.accounts == { "123456789012" = {} }
    error_message = "Accounts without settings travel in no setting: they only grant the role."
  }
}

run "the_most_member_accounts_fit_ten_policies_in_the_longest_partition" {
  command = plan

  # The longest partition and role names make the longest ARNs: 55 a policy.
  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-iso-b" }
  }

  variables {
    users            = [{ username = "homer" }]
    member_role_name = replace(format("%64s", ""), " ", "r")
    accounts         = { for n in range(9 * 55) : format("1000000%05d", n) => {} }
  }

  assert {
    condition = (
      length(aws_iam_policy.member_roles) == 3 * 9
      && alltrue([for p in aws_iam_policy.member_roles : length(p.policy) <= 6144])
      && local.managed_policies["rotate"] == 10
    )
    error_message = "495 member roles of 64-character names fit 9 managed policies of at most 6,144 characters; with homer's, rotate's role holds 10."
  }
}

run "too_many_member_accounts_for_ten_policies_are_refused_at_plan" {
  command = plan

  variables {
    users            = [{ username = "homer" }]
    member_role_name = replace(format("%64s", ""), " ", "r")
    accounts         = { for n in range(10 * 62 + 1) : format("1000000%05d", n) => {} }
  }

  expect_failures = [aws_iam_role.function]
}

# --- bad input ---------------------------------------------------------------------------------

run "rejects_an_account_id_that_is_no_account" {
  command = plan

  variables {
    users = [{ username = "homer", account_id = "1111-2222-3333" }]
  }

  expect_failures = [var.users]
}

run "rejects_one_member_user_twice" {
  command = plan

  variables {
    users = [{ username = "homer", account_id = "111122223333" }, { username = "HOMER", account_id = "111122223333" }]
  }

  expect_failures = [var.users]
}

run "rejects_the_hubs_user_twice_with_and_without_its_account" {
  command = plan

  variables {
    users = [{ username = "homer" }, { username = "homer", account_id = "123456789012" }]
  }

  expect_failures = [var.users]
}

run "rejects_accounts_keyed_by_something_else" {
  command = plan

  variables {
    accounts = { "prod" = {} }
  }

  expect_failures = [var.accounts]
}

run "rejects_the_hubs_own_account_among_accounts" {
  command = plan

  variables {
    accounts = { "123456789012" = { user_path_prefix = "/ci/" } }
  }

  expect_failures = [var.accounts]
}

run "rejects_an_accounts_path_with_a_wildcard" {
  command = plan

  variables {
    accounts = { "444455556666" = { user_path_prefix = "/ci*/" } }
  }

  expect_failures = [var.accounts]
}

run "rejects_an_accounts_aws_tag" {
  command = plan

  variables {
    accounts = { "444455556666" = { user_tag = { key = "aws:createdBy" } } }
  }

  expect_failures = [var.accounts]
}

run "rejects_an_accounts_excluded_name_iam_refuses" {
  command = plan

  variables {
    accounts = { "444455556666" = { exclude_users = ["not a name"] } }
  }

  expect_failures = [var.accounts]
}

run "rejects_a_role_arn_for_a_role_name" {
  command = plan

  variables {
    accounts = { "444455556666" = { role_name = "arn:aws:iam::444455556666:role/x" } }
  }

  expect_failures = [var.accounts]
}

run "rejects_a_member_role_name_iam_refuses" {
  command = plan

  variables {
    member_role_name = "rotation/member"
  }

  expect_failures = [var.member_role_name]
}

run "an_external_id_is_passed_to_the_functions" {
  command = plan

  variables {
    member_external_id = "platform-7f3c:ci/keys"
  }

  assert {
    condition     = alltrue([for f in aws_lambda_function.this : jsondecode(f.environment[0].variables.SETTINGS).member_external_id == "platform-7f3c:ci/keys"])
    error_message = "The functions pass the external id when they assume a member role."
  }
}

run "rejects_an_external_id_sts_refuses" {
  command = plan

  variables {
    member_external_id = "x"
  }

  expect_failures = [var.member_external_id]
}
