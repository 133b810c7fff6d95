# A ready-made credentials handler that writes each new key as GitLab CI/CD variables
# (handlers_src/gitlab_ci_handler). Give its function_arn and role_name to the rotator.

module "function" {
  source = "../handler-function"

  name        = var.name
  description = "Hands each new access key to GitLab CI/CD variables."
  zip_path    = "${path.module}/../../dist/handler-gitlab-ci.zip"
  entry_point = "gitlab_ci_handler.handler.handler"
  environment = {
    # Each target as the handler reads it (gitlab_ci_handler.targets).
    TARGETS                 = jsonencode(var.targets)
    GITLAB_API_URL          = "${trimsuffix(var.gitlab_url, "/")}/api/v4"
    GITLAB_TOKEN_SECRET_ARN = var.token_secret_arn
  }
  targets_per_user       = { for user, targets in var.targets : user => length(targets) }
  credential_secret_arns = [var.token_secret_arn]
  credential_kms_key_arn = var.credential_kms_key_arn
  timeout_seconds        = var.timeout_seconds
  log_retention_days     = var.log_retention_days
  tags                   = var.tags
}
