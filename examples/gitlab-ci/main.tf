# Three IAM users whose keys a rotator hands to GitLab CI/CD: the deployer's to a project's
# protected, masked variables; the reviewer's to the same project's variables of the review/*
# environments (unprotected, so that merge request pipelines see them); the builder's to a group's
# hidden variables.

locals {
  users = {
    deployer = "${var.name}-deployer"
    reviewer = "${var.name}-reviewer"
    builder  = "${var.name}-builder"
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

module "gitlab_ci" {
  source = "../../modules/handler-gitlab-ci"

  name             = "${var.name}-gitlab-ci"
  gitlab_url       = var.gitlab_url
  token_secret_arn = var.gitlab_token_secret_arn
  targets = {
    (local.users.deployer) = [{ project = var.project }]
    (local.users.reviewer) = [{ project = var.project, environment_scope = "review/*", protected = false }]
    (local.users.builder)  = [{ group = var.group, hidden = true }]
  }
  tags = var.tags
}

module "credentials_rotator" {
  source = "../.."

  name                          = var.name
  users                         = [for user in aws_iam_user.demo : { username = user.name }]
  credentials_handler_arn       = module.gitlab_ci.function_arn
  credentials_handler_role_name = module.gitlab_ci.role_name

  schedule_expression = "rate(1 day)"
  max_concurrency     = 3
  tags                = var.tags
}
