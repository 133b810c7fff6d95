# Three IAM users whose keys a rotator hands to GitHub Actions: the deployer's to a repository's
# secrets, the releaser's to its production environment's (as PROD_AWS_*), the publisher's to an
# organization's secrets that only that repository sees.

locals {
  users = {
    deployer  = "${var.name}-deployer"
    releaser  = "${var.name}-releaser"
    publisher = "${var.name}-publisher"
  }
}

# Terraform creates no access keys: the rotator owns them. force_destroy lets `terraform destroy`
# delete the keys the rotator left on them.
resource "aws_iam_user" "demo" {
  for_each = local.users

  name          = each.value
  force_destroy = true
  tags          = var.tags
}

module "github_actions" {
  source = "../../modules/handler-github-actions"

  name             = "${var.name}-github-actions"
  github_api_url   = var.github_api_url
  token_secret_arn = var.github_token_secret_arn
  targets = {
    (local.users.deployer) = [{ repository = var.repository }]
    (local.users.releaser) = [{
      repository             = var.repository
      environment            = "production"
      access_key_id_name     = "PROD_AWS_ACCESS_KEY_ID"
      secret_access_key_name = "PROD_AWS_SECRET_ACCESS_KEY"
    }]
    (local.users.publisher) = [{
      organization          = var.organization
      selected_repositories = [split("/", var.repository)[1]]
    }]
  }
  tags = var.tags
}

module "credentials_rotator" {
  source = "../.."

  name                          = var.name
  users                         = [for user in aws_iam_user.demo : { username = user.name }]
  credentials_handler_arn       = module.github_actions.function_arn
  credentials_handler_role_name = module.github_actions.role_name

  schedule_expression = "rate(1 day)"
  max_concurrency     = 3
  tags                = var.tags
}
