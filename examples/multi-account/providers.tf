locals {
  # With an endpoint (an emulator such as LocalStack) both providers talk to it with static test
  # credentials and skip the checks only real AWS can answer.
  emulated = var.aws_endpoint_url != null
}

# The hub account: the rotator, its functions, the users' secrets and your credentials handler.
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

# The member account, where only the member role is created. On AWS, Terraform assumes
# member_admin_role_name there (for example the role AWS Organizations creates in a new account);
# an emulator that tells accounts apart by the access key id (LocalStack) gets the account's id
# as the access key instead.
provider "aws" {
  alias  = "member"
  region = var.aws_region

  access_key                  = local.emulated ? var.member_account_id : null
  secret_key                  = local.emulated ? "test" : null
  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_metadata_api_check     = local.emulated

  dynamic "assume_role" {
    for_each = local.emulated ? [] : [var.member_admin_role_name]
    content {
      role_arn     = "arn:${var.aws_partition}:iam::${var.member_account_id}:role/${assume_role.value}"
      session_name = "${var.name}-member-role"
    }
  }

  endpoints {
    iam = var.aws_endpoint_url
    sts = var.aws_endpoint_url
  }
}
