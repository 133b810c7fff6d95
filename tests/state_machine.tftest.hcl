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
      [for s in values(jsondecode(aws_sfn_state_machine.this.definition).States) : s.MaxConcurrency if s.Type == "Map"] == [17]
      && [for s in values(jsondecode(aws_sfn_state_machine.this.definition).States) : s.Seconds if s.Type == "Wait"] == [42]
    )
    error_message = "max_concurrency and cleanup_wait_seconds must reach the definition."
  }
}
