# The functions' settings document (settings.tf): the one environment variable of every function,
# and the document the Python tests deploy (tests/fixtures/settings.json, read by
# testkit/engine_environment.py). The inputs below, with the module's defaults, and the mocked
# account, region and partition (tests/mocks/aws.tfmock.hcl) are the ones that give the fixture.
# Each rule the module derives for the functions is asserted here; the functions only read it.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  fixture                 = jsondecode(file("tests/fixtures/settings.json"))
  name                    = "ci-keys"
  users                   = [{ username = "homer" }]
  credentials_handler_arn = "arn:aws:lambda:us-east-1:123456789012:function:ci-keys-consumer"
  tags                    = { team = "platform" }
}

run "every_function_gets_the_fixture_document_and_nothing_else" {
  command = plan

  assert {
    condition = alltrue([for f in aws_lambda_function.this :
      keys(f.environment[0].variables) == tolist(["SETTINGS"]) && jsondecode(f.environment[0].variables.SETTINGS) == var.fixture
    ])
    error_message = "Every function's one environment variable must be SETTINGS, the document of tests/fixtures/settings.json for these inputs."
  }
}

run "every_setting_follows_its_input" {
  command = plan

  variables {
    kms_key_arn                    = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
    old_key_action                 = "deactivate"
    max_key_age_days               = 90
    verify_new_key_timeout_seconds = 45
    in_use_key_action              = "deactivate"
    max_deferrals                  = 5
    cleanup_wait_seconds           = 120
    last_use_delay_seconds         = 3600
    max_concurrency                = 17
    event_bus_name                 = null
    member_external_id             = "platform-7f3c"
  }

  assert {
    condition = jsondecode(aws_lambda_function.this["finish"].environment[0].variables.SETTINGS) == merge(var.fixture, {
      secret_kms_key_id      = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
      old_key_action         = "deactivate"
      max_key_age_days       = 90
      verify_new_key_seconds = 45
      in_use_key_action      = "deactivate"
      max_deferrals          = 5
      grace_wait_seconds     = 120
      last_use_delay_seconds = 3600
      max_concurrency        = 17
      event_bus_name         = null
      member_external_id     = "platform-7f3c"
    })
    error_message = "Each setting must carry its input: kms_key_arn, old_key_action, max_key_age_days, verify_new_key_timeout_seconds, in_use_key_action, max_deferrals, cleanup_wait_seconds, last_use_delay_seconds, max_concurrency, event_bus_name and member_external_id."
  }
}

run "verify_new_key_false_hands_keys_off_unchecked" {
  command = plan

  variables {
    verify_new_key                 = false
    verify_new_key_timeout_seconds = 90
  }

  assert {
    condition     = local.settings.verify_new_key_seconds == null
    error_message = "With verify_new_key = false, verify_new_key_seconds is null whatever the time limit."
  }
}

# Whether a later run judges the previous keys, and so whether this run waits its grace wait
# (state_machine.tf): the rule is written once, in settings.tf.
run "previous_keys_are_judged_later_with_a_delay_unless_retired" {
  command = plan

  assert {
    condition     = local.settings.previous_keys_judged_later && local.grace_wait_seconds == 0
    error_message = "By default (defer, a last-use delay of 4 hours) a later run judges the previous keys and the run waits for nothing."
  }
}

run "previous_keys_are_judged_at_finish_when_retired_whatever_their_use" {
  command = plan

  variables {
    in_use_key_action = "retire"
  }

  assert {
    condition     = !local.settings.previous_keys_judged_later && local.grace_wait_seconds == 300
    error_message = "With in_use_key_action = \"retire\", finish retires the previous keys after the grace wait."
  }
}

run "previous_keys_are_judged_at_finish_without_a_delay" {
  command = plan

  variables {
    in_use_key_action      = "deactivate"
    last_use_delay_seconds = 0
  }

  assert {
    condition     = !local.settings.previous_keys_judged_later && local.grace_wait_seconds == 300
    error_message = "Without a last-use delay, finish judges the previous keys after the grace wait."
  }
}

# Every account the same way, the module's own among them: its selection, how plan lists its users,
# and the role the functions assume there.
run "each_account_carries_its_selection_listing_and_role" {
  command = plan

  variables {
    users = [
      { username = "homer" },
      { username = "marge", account_id = "444455556666" },
      { username = "lisa", account_id = "123456789012" },
    ]
    user_path_prefix = "/ci/"
    exclude_users    = ["Bart", "admin"]
    member_role_name = "rotation"
    accounts = {
      "111122223333" = { user_path_prefix = "/ci/", exclude_users = ["robot"] }
      "210987654321" = { user_tag = { key = "rotate", value = "yes" }, role_name = "keys" }
      "777788889999" = { user_path_prefix = "/deploy/", user_tag = { key = "rotate" } }
    }
  }

  assert {
    condition = jsonencode(local.settings.accounts) == jsonencode({
      "123456789012" = { user_path_prefix = "/ci/", exclude_users = ["Bart", "admin"], user_listing = "ListUsers" }
      "111122223333" = {
        user_path_prefix = "/ci/", exclude_users = ["robot"], user_listing = "ListUsers"
      }
      "210987654321" = {
        role_arn     = "arn:aws:iam::210987654321:role/keys", user_tag = { key = "rotate", value = "yes" },
        user_listing = "GetAccountAuthorizationDetails"
      }
      "777788889999" = {
        user_path_prefix = "/deploy/", user_tag = { key = "rotate", value = null },
        user_listing     = "GetAccountAuthorizationDetails"
      }
    })
    error_message = "Each account must carry its selection without the unset keys, GetAccountAuthorizationDetails when it selects by tag and ListUsers by path alone, and a member account its role's ARN when its role is not member_role_name; a member account of listed users alone is left out, and a user of the module's own account is no member's."
  }

  assert {
    condition = (
      [for s in jsondecode(aws_iam_role_policy.function["plan"].policy).Statement : s.Action if s.Sid == "ListSelectedUsers"] == ["iam:ListUsers"]
      && local.settings.member_role_arn_template == "arn:aws:iam::{account_id}:role/rotation"
      && jsonencode(local.member_role_arn_list) == jsonencode(sort([
        for id in ["111122223333", "210987654321", "444455556666", "777788889999"] :
        try(local.settings.accounts[id].role_arn, replace(local.settings.member_role_arn_template, "{account_id}", id))
      ]))
    )
    error_message = "The functions' policies grant what the document tells them: the listing action of the module's own account, and every member role's ARN as the functions make it (credentials_rotator.settings.config: the account's role_arn, or member_role_arn_template with its id)."
  }
}

run "an_account_that_selects_by_tag_lists_its_users_with_their_tags" {
  command = plan

  variables {
    user_tag = { key = "rotate", value = "yes" }
  }

  assert {
    condition = (
      jsonencode(local.settings.accounts["123456789012"]) == jsonencode({ user_tag = { key = "rotate", value = "yes" }, user_listing = "GetAccountAuthorizationDetails" })
      && [for s in jsondecode(aws_iam_role_policy.function["plan"].policy).Statement : s.Action if s.Sid == "ListSelectedUsers"] == ["iam:GetAccountAuthorizationDetails"]
    )
    error_message = "A tag selects users listed with GetAccountAuthorizationDetails, which returns their tags, and plan may call it."
  }
}
