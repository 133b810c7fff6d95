# The function every ready-made handler shares (modules/handler-function): the runtime and
# architecture of its zip, its logs, its role, the environment's 4 KB, and every bad input refused
# at plan time with a message a person understands.

# Account 123456789012, partition aws, region us-east-1: tests/mocks/aws.tfmock.hcl.
mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name                   = "ci-keys-example-ci"
  description            = "Hands each new access key to Example CI."
  zip_path               = "./dist/handler-gitlab-ci.zip"
  entry_point            = "gitlab_ci_handler.handler.handler"
  environment            = { TARGETS = "{}" }
  targets_per_user       = { "ci-deployer" = 1, "444455556666/ci-publisher" = 2 }
  credential_secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/token-AbCdEf"]
  timeout_seconds        = 60
  log_retention_days     = 30
  tags                   = { team = "platform" }
}

run "the_function_runs_its_zip_on_the_wheels_runtime_and_logs_json_to_its_group" {
  command = plan

  module {
    source = "./modules/handler-function"
  }

  assert {
    condition = (
      aws_lambda_function.this.runtime == "python3.13"
      && aws_lambda_function.this.architectures == tolist(["x86_64"])
      && aws_lambda_function.this.handler == "gitlab_ci_handler.handler.handler"
      && aws_lambda_function.this.timeout == 60
      && aws_lambda_function.this.source_code_hash == filebase64sha256("./dist/handler-gitlab-ci.zip")
    )
    error_message = "The function runs the zip's entry point on python3.13, x86_64 (the wheels'), with the given timeout."
  }

  assert {
    condition = (
      aws_lambda_function.this.logging_config[0].log_format == "JSON"
      && aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/ci-keys-example-ci"
      && aws_cloudwatch_log_group.this.retention_in_days == 30
    )
    error_message = "The function logs JSON to its own log group, kept log_retention_days."
  }

  assert {
    condition = jsondecode(aws_iam_role.this.assume_role_policy) == {
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Principal = { Service = "lambda.amazonaws.com" }, Action = "sts:AssumeRole" }]
    }
    error_message = "Only Lambda may assume the function's role."
  }

  assert {
    condition     = alltrue([for tags in [aws_lambda_function.this.tags, aws_iam_role.this.tags, aws_cloudwatch_log_group.this.tags] : tags == tomap({ team = "platform" })])
    error_message = "Every resource carries the tags."
  }
}

run "an_environment_over_4_kb_is_refused_with_its_size" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    environment = { TARGETS = replace(format("%4100s", ""), " ", "x") }
  }
  expect_failures = [aws_lambda_function.this]
}

run "rejects_no_users" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    targets_per_user = {}
  }
  expect_failures = [var.targets_per_user]
}

run "rejects_a_user_without_targets" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    targets_per_user = { "ci-deployer" = 0 }
  }
  expect_failures = [var.targets_per_user]
}

run "rejects_a_user_that_is_no_rotator_name" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    targets_per_user = { "4444/ci-deployer" = 1 }
  }
  expect_failures = [var.targets_per_user]
}

run "rejects_a_user_name_iam_refuses" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    targets_per_user = { "ci deployer" = 1 }
  }
  expect_failures = [var.targets_per_user]
}

run "rejects_a_name_lambda_refuses" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    name = "ci keys"
  }
  expect_failures = [var.name]
}

run "rejects_a_credential_secret_that_is_a_name" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    credential_secret_arns = ["ci-keys/token"]
  }
  expect_failures = [var.credential_secret_arns]
}

run "rejects_a_credential_secret_without_its_suffix" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    credential_secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/token"]
  }
  expect_failures = [var.credential_secret_arns]
}

run "rejects_a_credential_secret_with_a_wildcard" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    credential_secret_arns = ["arn:aws:secretsmanager:us-east-1:123456789012:secret:ci-keys/*"]
  }
  expect_failures = [var.credential_secret_arns]
}

run "rejects_a_kms_alias" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    credential_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:alias/secrets"
  }
  expect_failures = [var.credential_kms_key_arn]
}

run "rejects_a_timeout_too_short_to_call_an_api" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    timeout_seconds = 5
  }
  expect_failures = [var.timeout_seconds]
}

run "rejects_a_timeout_lambda_refuses" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    timeout_seconds = 901
  }
  expect_failures = [var.timeout_seconds]
}

run "rejects_a_retention_cloudwatch_refuses" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    log_retention_days = 10
  }
  expect_failures = [var.log_retention_days]
}

run "rejects_a_dotless_entry_point" {
  command = plan
  module {
    source = "./modules/handler-function"
  }
  variables {
    entry_point = "handler"
  }
  expect_failures = [var.entry_point]
}
