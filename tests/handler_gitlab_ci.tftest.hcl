# The GitLab CI/CD handler (modules/handler-gitlab-ci): its role and environment as planned, and
# every bad input refused at plan time with a message a person understands.

# Account 123456789012, partition aws, region us-east-1: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name             = "ci-keys-gitlab-ci"
  token_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/gitlab-token-AbCdEf"
  targets = {
    "ci-deployer" = [{ project = "platform/deploy" }]
  }
}

run "the_handler_reads_only_its_token_and_gets_the_targets_with_their_defaults" {
  command = plan

  module {
    source = "./modules/handler-gitlab-ci"
  }

  variables {
    gitlab_url = "https://gitlab.example.com/"
    targets = {
      "ci-deployer"               = [{ project = "platform/deploy" }]
      "444455556666/ci-publisher" = [{ group = "42", environment_scope = "review/*", protected = false, hidden = true, access_key_id_name = "ID", secret_access_key_name = "SECRET" }]
    }
  }

  assert {
    condition = module.function.environment == tomap({
      GITLAB_API_URL          = "https://gitlab.example.com/api/v4"
      GITLAB_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/gitlab-token-AbCdEf"
      TARGETS = jsonencode({
        "ci-deployer" = [{
          project                = "platform/deploy", group = null, environment_scope = "*", protected = true,
          masked                 = true, hidden = false, access_key_id_name = "AWS_ACCESS_KEY_ID",
          secret_access_key_name = "AWS_SECRET_ACCESS_KEY"
        }]
        "444455556666/ci-publisher" = [{
          project = null, group = "42", environment_scope = "review/*", protected = false,
          masked  = true, hidden = true, access_key_id_name = "ID", secret_access_key_name = "SECRET"
        }]
      })
    })
    error_message = "The environment holds the API's v4 URL, the token's secret and the targets with their defaults: every environment, protected, masked, not hidden."
  }

  assert {
    condition     = [for statement in jsondecode(module.function.policy_json).Statement : statement.Sid] == ["WriteOwnLogs", "ReadTargetCredentials"] && jsondecode(module.function.policy_json).Statement[1].Resource == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/gitlab-token-AbCdEf"]
    error_message = "The role may write its own log group and read the token's secret, nothing else (the rotator grants its own secrets)."
  }
}

# --- bad inputs ----------------------------------------------------------------------------------

run "rejects_a_target_with_a_project_and_a_group" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    targets = { "ci-deployer" = [{ project = "platform/deploy", group = "platform" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_project_url_for_a_path" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    targets = { "ci-deployer" = [{ project = "https://gitlab.com/platform/deploy" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_an_empty_environment_scope" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    targets = { "ci-deployer" = [{ project = "platform/deploy", environment_scope = "" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_hidden_without_masked" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    targets = { "ci-deployer" = [{ project = "platform/deploy", hidden = true, masked = false }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_variable_key_gitlab_refuses" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    targets = { "ci-deployer" = [{ project = "platform/deploy", access_key_id_name = "AWS-KEY-ID" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_one_key_for_both_values" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    targets = { "ci-deployer" = [{ project = "platform/deploy", access_key_id_name = "AWS_KEY", secret_access_key_name = "AWS_KEY" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_plain_http_gitlab" {
  command = plan
  module {
    source = "./modules/handler-gitlab-ci"
  }
  variables {
    gitlab_url = "http://gitlab.example.com"
  }
  expect_failures = [var.gitlab_url]
}
