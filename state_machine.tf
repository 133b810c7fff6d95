locals {
  # Users per batch: one child execution of the Distributed Map rotates a batch, and one
  # BatchGetSecretValue call reads the delivery records of up to 20 secrets.
  batch_size = 20
  # At most max_concurrency users at once: each batch rotates up to user_concurrency of its users
  # at a time, and up to batch_concurrency batches run side by side.
  user_concurrency  = min(var.max_concurrency, local.batch_size)
  batch_concurrency = max(1, floor(var.max_concurrency / local.user_concurrency))

  # Exactly the variables of step_function.asl.json.tpl (docs/design.md); the Python workflow tests
  # render the same template with tests/fixtures/state_machine_variables.json.
  state_machine_variables = {
    plan_function_arn       = local.function_arns.plan
    rotate_function_arn     = local.function_arns.rotate
    roll_back_function_arn  = local.function_arns.roll_back
    finish_function_arn     = local.function_arns.finish
    credentials_handler_arn = var.credentials_handler_arn
    max_concurrency         = var.max_concurrency
    user_concurrency        = local.user_concurrency
    batch_concurrency       = local.batch_concurrency
    batch_size              = local.batch_size
    cleanup_wait_seconds    = var.cleanup_wait_seconds
    run_data_bucket         = local.run_data_bucket
  }

  # Round-tripped so that a malformed template fails at plan time.
  state_machine_definition = jsonencode(jsondecode(templatefile("${path.module}/step_function.asl.json.tpl", local.state_machine_variables)))
}

resource "aws_cloudwatch_log_group" "state_machine" {
  name              = "/aws/vendedlogs/states/${var.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_sfn_state_machine" "this" {
  name       = var.name
  type       = "STANDARD"
  role_arn   = aws_iam_role.state_machine.arn
  definition = local.state_machine_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = false
    level                  = "ALL"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine, aws_lambda_function.this, aws_s3_bucket.run_data]
}
