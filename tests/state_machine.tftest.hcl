# The module renders the same state machine the Python workflow tests execute: one variable list,
# tests/fixtures/state_machine_variables.json, on both sides. The inputs below and the mocked
# account, region and partition (tests/mocks/aws.tfmock.hcl) are the ones that give the fixture's
# function ARNs.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  fixture                 = jsondecode(file("tests/fixtures/state_machine_variables.json"))
  name                    = "ci-keys"
  users                   = [{ username = "homer" }]
  credentials_handler_arn = jsondecode(file("tests/fixtures/state_machine_variables.json")).credentials_handler_arn
  # 5 users at once: one batch at a time (batch_concurrency 1), 5 of its users at a time.
  max_concurrency      = 5
  cleanup_wait_seconds = jsondecode(file("tests/fixtures/state_machine_variables.json")).grace_wait_seconds
  # finish judges the previous keys itself: the run waits out cleanup_wait_seconds.
  last_use_delay_seconds = 0
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
    condition = aws_sfn_state_machine.this.definition == jsonencode(jsondecode(
      templatefile("step_function.asl.json.tpl", var.fixture)
    ))
    error_message = "The planned definition must be the template rendered with the fixture's variables and round-tripped through jsondecode and jsonencode, so that a malformed template fails at plan."
  }

  # What the rendering must hold, stated from the inputs above rather than rendered again: a
  # template that loses a state or wires a variable to the wrong place fails here.
  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).StartAt == "Plan"
      && alltrue([for state in ["Plan", "RotateUsers", "GraceWait", "Finish"] : contains(keys(jsondecode(aws_sfn_state_machine.this.definition).States), state)])
    )
    error_message = "The run starts at Plan and has the states RotateUsers, GraceWait and Finish."
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.Plan.Type == "Task"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Plan.Resource == "arn:aws:states:::lambda:invoke"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Plan.Parameters.FunctionName == "arn:aws:lambda:us-east-1:123456789012:function:ci-keys-plan"
    )
    error_message = "Plan must be a lambda:invoke task of the function ci-keys-plan."
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.Type == "Map"
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemProcessor.ProcessorConfig.Mode == "DISTRIBUTED"
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.MaxConcurrency == local.batch_concurrency
      && local.batch_concurrency == 1
    )
    error_message = "RotateUsers must be a Distributed Map running batch_concurrency batches at once (1 with max_concurrency 5)."
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.GraceWait.Type == "Wait"
      && jsondecode(aws_sfn_state_machine.this.definition).States.GraceWait.Seconds == var.cleanup_wait_seconds
    )
    error_message = "GraceWait must wait cleanup_wait_seconds when finish judges the previous keys (last_use_delay_seconds 0)."
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.Finish.Type == "Task"
      && jsondecode(aws_sfn_state_machine.this.definition).States.Finish.Parameters.FunctionName == "arn:aws:lambda:us-east-1:123456789012:function:ci-keys-finish"
    )
    error_message = "Finish must invoke the function ci-keys-finish."
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
      && local.settings.max_concurrency == 17
      && [for s in values(jsondecode(aws_sfn_state_machine.this.definition).States) : s.Seconds if s.Type == "Wait"] == [42]
    )
    error_message = "max_concurrency and cleanup_wait_seconds must reach the definition: 17 users of one batch at a time, 17 retirements at a time."
  }
}

run "never_rotates_more_than_max_concurrency_users_at_once" {
  command = plan

  variables {
    max_concurrency = 30
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.MaxConcurrency == 2
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemProcessor.States.RotateBatch.MaxConcurrency == 15
      && local.settings.batch_size == 60
    )
    error_message = "With 30, two batches of 60 users run side by side, 15 of each one's users at once: batches times users per batch never exceeds max_concurrency, and a batch rotates at most 20 users at once."
  }
}

run "runs_the_default_hundred_users_as_five_batches_of_twenty" {
  command = plan

  variables {
    max_concurrency = 100
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.MaxConcurrency == 5
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemProcessor.States.RotateBatch.MaxConcurrency == 20
    )
    error_message = "With 100, five batches run side by side, 20 of each one's users at once (a third of a batch: three equal waves)."
  }
}

run "runs_the_most_users_as_ten_batches_of_twenty" {
  command = plan

  variables {
    max_concurrency = 200
  }

  assert {
    condition = (
      jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.MaxConcurrency == 10
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemProcessor.States.RotateBatch.MaxConcurrency == 20
    )
    error_message = "With 200, ten batches of 20 users at once."
  }
}

run "keeps_run_data_in_its_own_bucket" {
  command = plan

  assert {
    condition = (
      aws_s3_bucket.run_data.bucket == "ci-keys-123456789012-us-east-1-runs"
      && aws_s3_bucket.run_data.force_destroy
      && jsondecode(aws_sfn_state_machine.this.definition).States.RotateUsers.ItemReader.Parameters.Bucket == aws_s3_bucket.run_data.bucket
      && local.settings.run_data_bucket == aws_s3_bucket.run_data.bucket
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

# S3 reserves bucket names that start with "xn--", "sthree-" (so "sthree-configurator" too) or
# "amzn-s3-demo-", and the label is followed by "-<account>". A name that would give such a bucket
# keeps only its letters and digits plus 8 hex digits of its hash; every other name keeps its bucket.

run "run_data_bucket_avoids_the_amzn_s3_demo_prefix" {
  command = plan

  variables {
    name = "Amzn_S3_Demo_keys"
  }

  assert {
    condition     = can(regex("^amzns3demokeys[0-9a-f]{8}-123456789012-us-east-1-runs$", aws_s3_bucket.run_data.bucket))
    error_message = "A name starting with amzn-s3-demo- must not give a bucket name S3 reserves."
  }
}

run "run_data_bucket_avoids_sthree_before_the_account" {
  command = plan

  variables {
    name = "sthree"
  }

  assert {
    condition     = can(regex("^sthree[0-9a-f]{8}-123456789012-us-east-1-runs$", aws_s3_bucket.run_data.bucket))
    error_message = "The name sthree must not give a bucket starting with sthree-, which S3 reserves."
  }
}

run "run_data_bucket_avoids_xn_dash_dash_before_the_account" {
  command = plan

  variables {
    name = "xn-"
  }

  assert {
    condition     = can(regex("^xn[0-9a-f]{8}-123456789012-us-east-1-runs$", aws_s3_bucket.run_data.bucket))
    error_message = "The name xn- must not give a bucket starting with xn--, which S3 reserves."
  }
}

run "run_data_bucket_keeps_the_names_it_gave_before" {
  command = plan

  variables {
    name = "Sthree-Configurator"
  }

  assert {
    condition     = aws_s3_bucket.run_data.bucket == "sthreeconfigurator-123456789012-us-east-1-runs"
    error_message = "A name whose bucket S3 accepted keeps that bucket: sthree- loses its dash, as before."
  }
}

# Step Functions runs a state machine in its account's partition and refuses, at run time, a
# resource ARN of another ("The resource belongs to a different partition from the running
# execution"); the apply succeeds either way. Every ARN of the definition, the integrations'
# (lambda:invoke, s3:getObject, aws-sdk) included, must carry the account's partition.

run "renders_every_arn_in_the_china_partition" {
  command = plan

  override_data {
    target = data.aws_partition.current
    values = { partition = "aws-cn" }
  }

  override_data {
    target = data.aws_region.current
    values = { name = "cn-north-1" }
  }

  variables {
    credentials_handler_arn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:ci-keys-consumer"
  }

  assert {
    condition = (
      length(regexall("\"arn:[^\"]*\"", aws_sfn_state_machine.this.definition)) >= 16
      && alltrue([for arn in regexall("\"arn:[^\"]*\"", aws_sfn_state_machine.this.definition) : startswith(arn, "\"arn:aws-cn:")])
    )
    error_message = "Every ARN of the definition (the six functions, the handler, and the lambda:invoke, s3:getObject and aws-sdk integrations) must be in the aws-cn partition."
  }
}

run "waits_for_nothing_when_a_later_run_judges_the_previous_keys" {
  command = plan

  variables {
    last_use_delay_seconds = 14400
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.this.definition).States.GraceWait.Seconds == 0
    error_message = "With in_use_key_action defer and a last_use_delay_seconds, finish leaves every previous key to a later run: the run must not wait cleanup_wait_seconds for it."
  }

  assert {
    condition     = local.settings.grace_wait_seconds == var.cleanup_wait_seconds
    error_message = "The functions must still be told cleanup_wait_seconds: it bounds the uses of the previous key that the later run judges."
  }
}

run "waits_the_grace_wait_when_old_keys_are_retired_without_a_check" {
  command = plan

  variables {
    in_use_key_action      = "retire"
    last_use_delay_seconds = 14400
  }

  assert {
    condition     = jsondecode(aws_sfn_state_machine.this.definition).States.GraceWait.Seconds == var.cleanup_wait_seconds
    error_message = "With in_use_key_action retire, finish retires the previous keys itself: the run must wait cleanup_wait_seconds first."
  }
}
