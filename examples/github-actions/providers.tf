locals {
  # With an endpoint (LocalStack, for the end-to-end tests) the provider talks to it with static
  # test credentials and skips the checks only real AWS can answer.
  emulated = var.aws_endpoint_url != null
}

provider "aws" {
  region = var.aws_region

  access_key                  = local.emulated ? "test" : null
  secret_key                  = local.emulated ? "test" : null
  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_metadata_api_check     = local.emulated
  # An emulator serves buckets under its own address, not as <bucket>.<host>.
  s3_use_path_style = local.emulated

  endpoints {
    cloudwatch     = var.aws_endpoint_url
    events         = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    logs           = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    scheduler      = var.aws_endpoint_url
    secretsmanager = var.aws_endpoint_url
    sfn            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }
}
