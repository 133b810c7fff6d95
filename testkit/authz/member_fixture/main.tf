# A root module for testkit/authz/members.py: modules/member-role as a member account applies it
# for the workflow tier's hub (testkit/authz/fixture), its inputs given as variables. `terraform
# plan` runs against a local moto server whose account is the member account (MOTO_ACCOUNT_ID),
# which only answers the account lookup; `terraform show -json` then gives the role's trust and
# permissions exactly as they would be applied there.

terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.76"
    }
  }
}

variable "endpoint" {
  description = "URL of the moto server that answers the provider, as the member account."
  type        = string
}

variable "role_name" {
  description = "The submodule's role_name input."
  type        = string
}

variable "hub_role_arns" {
  description = "The submodule's hub_role_arns input: the hub's function_role_arns."
  type        = list(string)
}

variable "usernames" {
  description = "The submodule's usernames input."
  type        = list(string)
  default     = []
}

variable "user_path_prefix" {
  description = "The submodule's user_path_prefix input."
  type        = string
  default     = null
}

variable "user_tag" {
  description = "The submodule's user_tag input."
  type = object({
    key   = string
    value = optional(string)
  })
  default = null
}

variable "external_id" {
  description = "The submodule's external_id input."
  type        = string
  default     = null
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true

  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

module "member_role" {
  source = "../../../modules/member-role"

  role_name        = var.role_name
  hub_role_arns    = var.hub_role_arns
  usernames        = var.usernames
  user_path_prefix = var.user_path_prefix
  user_tag         = var.user_tag
  external_id      = var.external_id
}
