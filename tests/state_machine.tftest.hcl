# The module renders the same state machine the Python workflow tests execute: one variable list,
# tests/fixtures/state_machine_variables.json, on both sides. The inputs and the mocked account,
# region and partition below are the ones that give the fixture's function ARNs.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
}

variables {
  fixture                 = jsondecode(file("tests/fixtures/state_machine_variables.json"))
  name                    = "ci-keys"
  users                   = [{ username = "homer" }]
  credentials_handler_arn = jsondecode(file("tests/fixtures/state_machine_variables.json")).credentials_handler_arn
  max_concurrency         = jsondecode(file("tests/fixtures/state_machine_variables.json")).max_concurrency
  cleanup_wait_seconds    = jsondecode(file("tests/fixtures/state_machine_variables.json")).cleanup_wait_seconds
}

run "passes_exactly_the_fixture_variables" {
  command = plan

  assert {
    condition     = local.state_machine_variables == var.fixture
    error_message = "The module's template variables must equal tests/fixtures/state_machine_variables.json (names and, for these inputs, values)."
  }
}

run "renders_the_document_the_workflow_tests_execute" {
  command = plan

  assert {
    condition = jsondecode(aws_sfn_state_machine.this.definition) == jsondecode(
      templatefile("step_function.asl.json.tpl", var.fixture)
    )
    error_message = "The planned definition must equal the template rendered with the fixture's variables."
  }
}

run "renders_its_own_inputs" {
  command = plan

  variables {
    max_concurrency      = 17
    cleanup_wait_seconds = 42
  }

  assert {
    condition = (
      [for s in values(jsondecode(aws_sfn_state_machine.this.definition).States) : s.MaxConcurrency if s.Type == "Map"] == [1]
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemProcessor.States.RotateBatch.MaxConcurrency == 17
      && jsondecode(aws_sfn_state_machine.this.definition).States.Finish.Parameters.Payload.maxConcurrency == 17
      && [for s in values(jsondecode(aws_sfn_state_machine.this.definition).States) : s.Seconds if s.Type == "Wait"] == [42]
    )
    error_message = "max_concurrency and cleanup_wait_seconds must reach the definition: 17 users of one batch at a time, 17 retirements at a time."
  }
}

run "never_rotates_more_than_max_concurrency_users_at_once" {
  command = plan

  variables {
    max_concurrency = 40
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.MaxConcurrency == 2
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemProcessor.States.RotateBatch.MaxConcurrency == 20
      && jsondecode(aws_sfn_state_machine.this.definition).States.Plan.Parameters.Payload.batchSize == 20
    )
    error_message = "With 40, two batches of 20 users run at once: batches times users per batch never exceeds max_concurrency."
  }
}

run "keeps_run_data_in_its_own_bucket" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket.run_data.bucket == "ci-keys-123456789012-us-east-1-runs"
      && aws_s3_bucket.run_data.force_destroy
      && jsondecode(aws_sfn_state_machine.this.definition).States.Plan.Parameters.Payload.runDataBucket == aws_s3_bucket.run_data.bucket
      && aws_s3_bucket_public_access_block.run_data.block_public_acls
      && aws_s3_bucket_public_access_block.run_data.block_public_policy
      && aws_s3_bucket_public_access_block.run_data.ignore_public_acls
      && aws_s3_bucket_public_access_block.run_data.restrict_public_buckets
      && aws_s3_bucket_lifecycle_configuration.run_data.rule[0].expiration[0].days == 30
      && aws_s3_bucket_lifecycle_configuration.run_data.rule[0].filter[0].prefix == "runs/"
      && one(one(aws_s3_bucket_server_side_encryption_configuration.run_data.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
      && jsondecode(aws_s3_bucket_policy.run_data.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
      && jsondecode(aws_s3_bucket_policy.run_data.policy).Statement[0].Effect == "Deny"
      && output.run_data_bucket == "ci-keys-123456789012-us-east-1-runs"
    )
    error_message = "Run data lives in <name>-<account>-<region>-runs: private, TLS only, SSE-S3 by default, expiring after 30 days, and the state machine uses that bucket."
  }
}

run "encrypts_run_data_with_the_customer_key_and_shortens_long_names" {
  command = plan

  variables {
    name                    = "A_Very_Long_Rotator_Name_That_Does_Not_Fit"
    kms_key_arn             = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666"
    run_data_retention_days = 7
  }

  assert {
    condition = (
      can(regex("^a-very-long-rotat-[0-9a-f]{8}-123456789012-us-east-1-runs$", aws_s3_bucket.run_data.bucket))
      && length(aws_s3_bucket.run_data.bucket) <= 63
      && one(one(aws_s3_bucket_server_side_encryption_configuration.run_data.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms"
      && one(one(aws_s3_bucket_server_side_encryption_configuration.run_data.rule).apply_server_side_encryption_by_default).kms_master_key_id == var.kms_key_arn
      && one(aws_s3_bucket_server_side_encryption_configuration.run_data.rule).bucket_key_enabled
      && aws_s3_bucket_lifecycle_configuration.run_data.rule[0].expiration[0].days == 7
    )
    error_message = "A long name is cut and hashed into a valid bucket name; a customer key encrypts the run data too."
  }
}
