# The GitHub Actions handler (modules/handler-github-actions): its function, role and environment
# as planned, and every bad input refused at plan time with a message a person understands.

# Account 123456789012, partition aws, region us-east-1: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name             = "ci-keys-github-actions"
  token_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/github-token-AbCdEf"
  targets = {
    "ci-deployer" = [{ repository = "octo-org/app" }]
  }
}

run "a_token_handler_reads_only_its_token_and_writes_only_its_logs" {
  command = plan

  module {
    source = "./modules/handler-github-actions"
  }

  assert {
    condition = jsondecode(module.function.policy_json) == {
      Version = "2012-10-17"
      Statement = [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/ci-keys-github-actions:*"
        },
        {
          Sid      = "ReadTargetCredentials"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/github-token-AbCdEf"]
        },
      ]
    }
    error_message = "The role may write its own log group and read the token's secret, nothing else (the rotator grants its own secrets)."
  }

  assert {
    condition = module.function.environment == tomap({
      GITHUB_API_URL          = "https://api.github.com"
      GITHUB_TOKEN_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/github-token-AbCdEf"
      TARGETS = jsonencode({ "ci-deployer" = [{
        repository             = "octo-org/app", environment = null, organization = null, visibility = null,
        selected_repositories  = [], access_key_id_name = "AWS_ACCESS_KEY_ID",
        secret_access_key_name = "AWS_SECRET_ACCESS_KEY"
      }] })
    })
    error_message = "The environment holds the API URL, the token's secret and the targets with their default secret names; nothing of an app."
  }
}

run "an_app_handler_reads_its_private_key_decrypts_with_its_key_and_knows_its_installation" {
  command = plan

  module {
    source = "./modules/handler-github-actions"
  }

  variables {
    token_secret_arn       = null
    github_api_url         = "https://github.example.com/api/v3"
    credential_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    github_app = {
      id                     = "Iv23liAbCdEf"
      private_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/github-app-key-AbCdEf"
      installation_id        = 4242
    }
  }

  assert {
    condition = module.function.environment == tomap({
      GITHUB_API_URL                    = "https://github.example.com/api/v3"
      GITHUB_APP_ID                     = "Iv23liAbCdEf"
      GITHUB_APP_PRIVATE_KEY_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/github-app-key-AbCdEf"
      GITHUB_APP_INSTALLATION_ID        = "4242"
      TARGETS                           = module.function.environment.TARGETS
    })
    error_message = "An app handler is told the app, its private key's secret and its installation, and no token."
  }

  assert {
    condition     = jsondecode(module.function.policy_json).Statement[1].Resource == ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/github-app-key-AbCdEf"]
    error_message = "An app handler reads the private key's secret only."
  }

  assert {
    condition = jsondecode(module.function.policy_json).Statement[2] == {
      Sid       = "DecryptTargetCredentials"
      Effect    = "Allow"
      Action    = "kms:Decrypt"
      Resource  = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.us-east-1.amazonaws.com" } }
    }
    error_message = "With credential_kms_key_arn the role may decrypt with that key, through Secrets Manager only."
  }
}

run "an_organization_gets_selected_with_repositories_and_private_without" {
  command = plan

  module {
    source = "./modules/handler-github-actions"
  }

  variables {
    targets = {
      "ci-deployer"               = [{ organization = "octo-org", selected_repositories = ["app"] }]
      "444455556666/ci-publisher" = [{ organization = "octo-org" }, { organization = "octo-org", visibility = "all", access_key_id_name = "ALL_ID", secret_access_key_name = "ALL_SECRET" }]
    }
  }

  assert {
    condition = [
      for user in ["ci-deployer", "444455556666/ci-publisher"] :
      [for target in jsondecode(module.function.environment.TARGETS)[user] : target.visibility]
    ] == [["selected"], ["private", "all"]]
    error_message = "An organization's secrets are selected with selected_repositories, private without them, unless visibility says otherwise."
  }
}

# --- bad inputs ----------------------------------------------------------------------------------

run "rejects_a_target_with_a_repository_and_an_organization" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ repository = "octo-org/app", organization = "octo-org" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_target_with_neither" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ environment = "production" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_repository_without_its_owner" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ repository = "app" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_an_environment_of_an_organization" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ organization = "octo-org", environment = "production" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_visibility_on_a_repository" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ repository = "octo-org/app", visibility = "all" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_selected_without_repositories" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ organization = "octo-org", visibility = "selected" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_repositories_with_another_visibility" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ organization = "octo-org", visibility = "all", selected_repositories = ["app"] }] }
  }
  expect_failures = [var.targets]
}

run "rejects_an_unknown_visibility" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ organization = "octo-org", visibility = "internal" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_secret_name_githubs_own_prefix" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ repository = "octo-org/app", access_key_id_name = "github_key_id" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_secret_name_with_a_dash" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ repository = "octo-org/app", secret_access_key_name = "AWS-SECRET" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_two_names_that_github_takes_for_one" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    targets = { "ci-deployer" = [{ repository = "octo-org/app", access_key_id_name = "KEY", secret_access_key_name = "key" }] }
  }
  expect_failures = [var.targets]
}

run "rejects_a_plain_http_api_url" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    github_api_url = "http://github.example.com/api/v3"
  }
  expect_failures = [var.github_api_url]
}

run "rejects_an_api_url_with_a_query" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    github_api_url = "https://api.github.com/?x=1"
  }
  expect_failures = [var.github_api_url]
}

run "rejects_a_token_and_an_app" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    github_app = { id = "12345", private_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf" }
  }
  expect_failures = [var.github_app]
}

run "rejects_neither_a_token_nor_an_app" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    token_secret_arn = null
  }
  expect_failures = [var.github_app]
}

run "rejects_an_app_id_that_is_a_name" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    token_secret_arn = null
    github_app       = { id = "my-app", private_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf" }
  }
  expect_failures = [var.github_app]
}

run "rejects_installation_zero" {
  command = plan
  module {
    source = "./modules/handler-github-actions"
  }
  variables {
    token_secret_arn = null
    github_app       = { id = "12345", private_key_secret_arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-AbCdEf", installation_id = 0 }
  }
  expect_failures = [var.github_app]
}
