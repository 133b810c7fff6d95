# The member role (modules/member-role): who may assume it, what it allows on which users, and every
# bad input refused at plan time with a message a person understands.

# Account 123456789012, partition aws: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  hub_role_arns = [
    "arn:aws:iam::111122223333:role/ci-keys-rotate",
    "arn:aws:iam::111122223333:role/ci-keys-finish",
  ]
}

# --- trust -------------------------------------------------------------------------------------

run "trusts_exactly_the_hub_roles" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    hub_role_arns = [
      "arn:aws:iam::111122223333:role/ci-keys-rotate",
      "arn:aws:iam::111122223333:role/ci-keys-finish",
      "arn:aws:iam::111122223333:role/ci-keys-rotate",
    ]
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy) == {
      Version = "2012-10-17"
      Statement = [{
        Sid       = "HubFunctionsAssumeRole"
        Effect    = "Allow"
        Principal = { AWS = ["arn:aws:iam::111122223333:role/ci-keys-finish", "arn:aws:iam::111122223333:role/ci-keys-rotate"] }
        Action    = "sts:AssumeRole"
      }]
    }
    error_message = "Only the hub's role ARNs, each once, may assume the role, with sts:AssumeRole alone and no condition when neither organization_id nor external_id is set."
  }

  assert {
    condition = (
      aws_iam_role.this.name == "credentials-rotator-member"
      && aws_iam_role.this.path == "/"
      && aws_iam_role.this.max_session_duration == 3600
      && aws_iam_role.this.permissions_boundary == null
      && aws_iam_role_policy.this.name == "credentials-rotator-member"
    )
    error_message = "By default the role is credentials-rotator-member at path /, with one-hour sessions and no permissions boundary; its inline policy has its name."
  }
}

run "organization_and_external_id_are_both_required_when_set" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    organization_id = "o-a1b2c3d4e5"
    external_id     = "ci-keys:member/2024"
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5", "sts:ExternalId" = "ci-keys:member/2024" }
    }
    error_message = "With both set, the hub's roles must be in the organization and pass the external ID."
  }
}

run "only_the_organization_when_only_it_is_set" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    organization_id = "o-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "aws:PrincipalOrgID" = "o-a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6" }
    }
    error_message = "An organization alone adds the aws:PrincipalOrgID condition and no external ID."
  }
}

run "only_the_external_id_when_only_it_is_set" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    external_id = "ab"
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Condition == {
      StringEquals = { "sts:ExternalId" = "ab" }
    }
    error_message = "An external ID alone adds the sts:ExternalId condition and no organization."
  }
}

# --- what it allows, on which users --------------------------------------------------------------

run "without_users_or_selection_it_reaches_every_user_of_the_account" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [
      {
        Sid      = "RotateKeysOfSelectedUsers"
        Effect   = "Allow"
        Action   = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"]
        Resource = "arn:aws:iam::123456789012:user/*"
      },
      {
        Sid      = "ListSelectedUsers"
        Effect   = "Allow"
        Action   = "iam:ListUsers"
        Resource = "*"
      },
    ]
    error_message = "Without usernames, path or tag, the five key actions reach every user of the account (user/*), and plan may list them with ListUsers, the one action on \"*\"."
  }

  assert {
    condition     = output.policy_json == aws_iam_role_policy.this.policy
    error_message = "The policy_json output is the role's policy."
  }
}

run "usernames_alone_name_each_user_at_any_path_and_list_nothing" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    usernames = ["homer", "bart", "homer"]
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [{
      Sid      = "RotateKeysOfListedUsers"
      Effect   = "Allow"
      Action   = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"]
      Resource = ["arn:aws:iam::123456789012:user/homer", "arn:aws:iam::123456789012:user/*/homer", "arn:aws:iam::123456789012:user/bart", "arn:aws:iam::123456789012:user/*/bart"]
    }]
    error_message = "Named users get the key actions on user/<name> and user/*/<name>, each name once, and nothing else: no listing, no other user."
  }
}

run "a_path_adds_the_users_under_it_and_listusers" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    usernames        = ["homer"]
    user_path_prefix = "/ci/"
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [s.Sid, s.Resource, lookup(s, "Condition", null)]] == [
      ["RotateKeysOfListedUsers", ["arn:aws:iam::123456789012:user/homer", "arn:aws:iam::123456789012:user/*/homer"], null],
      ["RotateKeysOfSelectedUsers", "arn:aws:iam::123456789012:user/ci/*", null],
      ["ListSelectedUsers", "*", null],
    ]
    error_message = "With a path, the key actions also reach exactly the users under it, without condition, and the listed users stay named."
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action])) == toset([
      "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:ListUsers",
    ])
    error_message = "The actions are exactly the five key actions and ListUsers."
  }
}

run "a_tag_value_is_required_on_selected_users_and_listed_in_bulk" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    usernames = ["homer"]
    user_tag  = { key = "rotate", value = "yes" }
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : [s.Sid, s.Resource, lookup(s, "Condition", null)]] == [
      ["RotateKeysOfListedUsers", ["arn:aws:iam::123456789012:user/homer", "arn:aws:iam::123456789012:user/*/homer"], null],
      ["RotateKeysOfSelectedUsers", "arn:aws:iam::123456789012:user/*", { StringEquals = { "iam:ResourceTag/rotate" = "yes" } }],
      ["ListSelectedUsers", "*", null],
    ]
    error_message = "With a tag, the key actions reach any other user only while it carries the tag with that value; the named users need no tag."
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Action])) == toset([
      "iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetAccountAuthorizationDetails",
    ])
    error_message = "With a tag, plan lists users with their tags through GetAccountAuthorizationDetails, not ListUsers."
  }
}

run "a_tag_key_under_a_path_requires_the_key_and_the_path" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    user_path_prefix = "/ci/"
    user_tag         = { key = "rotate" }
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.this.policy).Statement == [
      {
        Sid       = "RotateKeysOfSelectedUsers"
        Effect    = "Allow"
        Action    = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"]
        Resource  = "arn:aws:iam::123456789012:user/ci/*"
        Condition = { Null = { "iam:ResourceTag/rotate" = "false" } }
      },
      {
        Sid      = "ListSelectedUsers"
        Effect   = "Allow"
        Action   = "iam:GetAccountAuthorizationDetails"
        Resource = "*"
      },
    ]
    error_message = "A tag key without a value requires the key (any value) on users under the path."
  }
}

run "no_listing_when_not_allowed" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    user_path_prefix   = "/ci/"
    allow_user_listing = false
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Sid] == ["RotateKeysOfSelectedUsers"] && !strcontains(aws_iam_role_policy.this.policy, "\"*\"")
    error_message = "allow_user_listing = false grants no listing, and nothing on \"*\"."
  }
}

run "its_own_settings_reach_the_role" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    role_name            = "rotator+member=,.@_-${replace(format("%44s", ""), " ", "r")}"
    role_path            = "/platform/rotation/"
    max_session_duration = 43200
    permissions_boundary = "arn:aws:iam::123456789012:policy/boundaries/workloads"
    tags                 = { team = "platform" }
    hub_role_arns        = ["arn:aws-us-gov:iam::111122223333:role/service-role/ci-keys+=,.@_-plan"]
  }

  assert {
    condition = (
      aws_iam_role.this.name == "rotator+member=,.@_-${replace(format("%44s", ""), " ", "r")}"
      && aws_iam_role.this.path == "/platform/rotation/"
      && aws_iam_role.this.max_session_duration == 43200
      && aws_iam_role.this.permissions_boundary == "arn:aws:iam::123456789012:policy/boundaries/workloads"
      && aws_iam_role.this.tags == tomap({ team = "platform" })
    )
    error_message = "The name (64 characters, every character IAM allows), path, session duration, boundary and tags reach the role."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this.assume_role_policy).Statement[0].Principal.AWS == ["arn:aws-us-gov:iam::111122223333:role/service-role/ci-keys+=,.@_-plan"]
    error_message = "A hub role under a path, in another partition, is trusted by its exact ARN."
  }
}

# IAM caps a role's inline policies at 10,240 characters: 50 names of 64 characters fit (10,127),
# one more does not.
run "fifty_of_the_longest_usernames_fit_the_inline_policy" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    usernames = [for i in range(50) : "${format("%02d", i)}${replace(format("%62s", ""), " ", "u")}"]
  }

  assert {
    condition     = length(aws_iam_role_policy.this.policy) == 10127
    error_message = "The largest list the policy holds must be planned."
  }
}

run "one_more_of_the_longest_usernames_is_refused" {
  command = plan

  module {
    source = "./modules/member-role"
  }

  variables {
    usernames = [for i in range(51) : "${format("%02d", i)}${replace(format("%62s", ""), " ", "u")}"]
  }

  expect_failures = [aws_iam_role_policy.this]
}

# --- bad inputs ----------------------------------------------------------------------------------

run "rejects_no_hub_role" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    hub_role_arns = []
  }
  expect_failures = [var.hub_role_arns]
}

run "rejects_a_hub_principal_that_is_not_a_role" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    hub_role_arns = ["arn:aws:iam::111122223333:user/ci-keys-rotate"]
  }
  expect_failures = [var.hub_role_arns]
}

run "rejects_a_hub_account_root" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    hub_role_arns = ["arn:aws:iam::111122223333:root"]
  }
  expect_failures = [var.hub_role_arns]
}

run "rejects_a_wildcard_in_a_hub_role" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    hub_role_arns = ["arn:aws:iam::111122223333:role/ci-keys-*"]
  }
  expect_failures = [var.hub_role_arns]
}

run "rejects_a_bad_organization_id" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    organization_id = "o-ABC123"
  }
  expect_failures = [var.organization_id]
}

run "rejects_an_external_id_too_short" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    external_id = "x"
  }
  expect_failures = [var.external_id]
}

run "rejects_an_external_id_too_long" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    external_id = replace(format("%1225s", ""), " ", "x")
  }
  expect_failures = [var.external_id]
}

run "rejects_an_external_id_with_a_space" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    external_id = "ci keys"
  }
  expect_failures = [var.external_id]
}

run "rejects_a_role_name_too_long" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    role_name = replace(format("%65s", ""), " ", "r")
  }
  expect_failures = [var.role_name]
}

run "rejects_a_role_name_with_a_slash" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    role_name = "rotation/member"
  }
  expect_failures = [var.role_name]
}

run "rejects_a_role_path_without_slashes" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    role_path = "rotation"
  }
  expect_failures = [var.role_path]
}

run "rejects_a_session_shorter_than_an_hour" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    max_session_duration = 3599
  }
  expect_failures = [var.max_session_duration]
}

run "rejects_a_session_longer_than_twelve_hours" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    max_session_duration = 43201
  }
  expect_failures = [var.max_session_duration]
}

run "rejects_a_permissions_boundary_that_is_not_a_policy" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    permissions_boundary = "arn:aws:iam::123456789012:role/boundary"
  }
  expect_failures = [var.permissions_boundary]
}

run "rejects_a_username_iam_refuses" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    usernames = ["homer", "bart simpson"]
  }
  expect_failures = [var.usernames]
}

run "rejects_a_user_path_prefix_without_slashes" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    user_path_prefix = "ci"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_a_wildcard_in_the_user_path_prefix" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    user_path_prefix = "/c*/"
  }
  expect_failures = [var.user_path_prefix]
}

run "rejects_an_aws_tag_key" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    user_tag = { key = "aws:rotate" }
  }
  expect_failures = [var.user_tag]
}

run "rejects_a_tag_value_iam_refuses" {
  command = plan
  module {
    source = "./modules/member-role"
  }
  variables {
    user_tag = { key = "rotate", value = "yes!" }
  }
  expect_failures = [var.user_tag]
}
