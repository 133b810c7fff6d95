# A ready-made credentials handler that writes each new key as GitHub Actions secrets
# (handlers_src/github_actions_handler). Give its function_arn and role_name to the rotator.

locals {
  # Each target as the handler reads it (github_actions_handler.targets), with the
  # visibility an organization's secrets get by default.
  targets = {
    for user, targets in var.targets : user => [
      for target in targets : {
        repository             = target.repository
        environment            = target.environment
        organization           = target.organization
        visibility             = target.organization == null ? null : coalesce(target.visibility, length(target.selected_repositories) > 0 ? "selected" : "private")
        selected_repositories  = target.selected_repositories
        access_key_id_name     = target.access_key_id_name
        secret_access_key_name = target.secret_access_key_name
      }
    ]
  }

  environment = merge(
    {
      TARGETS        = jsonencode(local.targets)
      GITHUB_API_URL = var.github_api_url
    },
    var.token_secret_arn == null ? {} : { GITHUB_TOKEN_SECRET_ARN = var.token_secret_arn },
    var.github_app == null ? {} : merge(
      {
        GITHUB_APP_ID                     = var.github_app.id
        GITHUB_APP_PRIVATE_KEY_SECRET_ARN = var.github_app.private_key_secret_arn
      },
      var.github_app.installation_id == null ? {} : { GITHUB_APP_INSTALLATION_ID = tostring(var.github_app.installation_id) },
    ),
  )
}

module "function" {
  source = "../handler-function"

  name                   = var.name
  description            = "Hands each new access key to GitHub Actions secrets."
  zip_path               = "${path.module}/../../dist/handler-github-actions.zip"
  entry_point            = "github_actions_handler.handler.handler"
  environment            = local.environment
  targets_per_user       = { for user, targets in var.targets : user => length(targets) }
  credential_secret_arns = compact([var.token_secret_arn, try(var.github_app.private_key_secret_arn, null)])
  credential_kms_key_arn = var.credential_kms_key_arn
  timeout_seconds        = var.timeout_seconds
  log_retention_days     = var.log_retention_days
  tags                   = var.tags
}
