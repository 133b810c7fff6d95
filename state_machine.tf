locals {
  # Users per batch: one child execution of the Distributed Map, one outcomes file, three reads of
  # 20 delivery records and, once the run ends, six calls of 10 per-user events: a rotated user's
  # share of the batch's calls is 0.05 + 2/60 + 0.1 (docs/design.md). The functions read it from
  # their settings (settings.tf); the state machine needs only the concurrency below.
  batch_size = 60
  # How many of a batch's users rotate at once, at most: a third of a batch, so that its users go
  # in three equal waves and no slot idles at a batch's end while the others wait for the next
  # batch (Step Functions allows up to 40 iterations of an inline Map at once).
  users_at_once_per_batch = 20
  # At most max_concurrency users at once: as few batches side by side (batch_concurrency) as
  # users_at_once_per_batch allows, each rotating an equal share at a time (user_concurrency).
  batch_concurrency = ceil(var.max_concurrency / local.users_at_once_per_batch)
  user_concurrency  = floor(var.max_concurrency / local.batch_concurrency)

  # The run's grace wait before finish: none when a later run judges the previous keys
  # (previous_keys_judged_later, settings.tf). The grace wait still bounds the window judged
  # (grace_wait_seconds of the settings).
  grace_wait_seconds = local.settings.previous_keys_judged_later ? 0 : var.cleanup_wait_seconds

  # The one Retry block of every Task that invokes the module's own functions: the invocation
  # failed in Lambda or on its way there, or Lambda throttled it. Each function is safe to run
  # again (docs/design.md, "Crash safety").
  transient_retry = [
    {
      ErrorEquals = [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.TooManyRequestsException",
      ]
      IntervalSeconds = 2
      MaxAttempts     = 8
      BackoffRate     = 2
      MaxDelaySeconds = 30
      JitterStrategy  = "FULL"
    },
  ]

  # Errors of the handoff after which nobody knows whether the handler stored the key: it timed
  # out, its process died, or Lambda failed around it. They are never retried in the run and never
  # rolled back; the next run hands the same key off again. Every other error is the handler's
  # own refusal ("raise to refuse"), retried and then rolled back. (Not States.TaskFailed: in a
  # Retry or Catch it matches every error but States.Timeout.)
  handoff_outcome_unknown = [
    "Sandbox.Timedout",
    "Lambda.Unknown",
    "Runtime.ExitError",
    "Runtime.OutOfMemory",
    "Runtime.Unknown",
    "States.Timeout",
    "States.HeartbeatTimeout",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
  ]

  # Exactly the variables of step_function.asl.json.tpl (docs/design.md).
  state_machine_variables = {
    partition               = local.partition
    function_arns           = local.function_arns
    credentials_handler_arn = var.credentials_handler_arn
    user_concurrency        = local.user_concurrency
    batch_concurrency       = local.batch_concurrency
    grace_wait_seconds      = local.grace_wait_seconds
    run_data_bucket         = local.run_data_bucket
    transient_retry         = jsonencode(local.transient_retry)
    handoff_outcome_unknown = jsonencode(local.handoff_outcome_unknown)
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
  role_arn   = aws_iam_role.service["state_machine"].arn
  definition = local.state_machine_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = false
    level                  = "ALL"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.service, aws_lambda_function.this, aws_s3_bucket.run_data]
}
