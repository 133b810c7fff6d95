variable "name" {
  description = "Name of the rotator (passed to the module): the prefix of its resources and of the users' secrets."
  type        = string
  default     = "ci-keys"
}

variable "aws_region" {
  description = "AWS region of the hub, and of the member provider (IAM is global)."
  type        = string
  default     = "us-east-1"
}

variable "aws_partition" {
  description = "AWS partition of both accounts: `aws`, `aws-us-gov` or `aws-cn`. Used to name the role Terraform assumes in the member account."
  type        = string
  default     = "aws"
}

variable "aws_endpoint_url" {
  description = "Endpoint of an AWS emulator such as LocalStack (`http://127.0.0.1:4566`) for both accounts. Default `null`: real AWS with your usual credentials."
  type        = string
  default     = null
}

variable "credentials_handler_arn" {
  description = "ARN of your Lambda function in the hub account that receives every new key, the member accounts' included (their events carry `accountId`)."
  type        = string
}

variable "credentials_handler_role_name" {
  description = "Name of your handler's role, which the module lets read the secrets. Default `null`: attach the module's `credentials_handler_policy_json` yourself."
  type        = string
  default     = null
}

variable "hub_usernames" {
  description = "IAM users of the hub account to rotate, by name. Default `[]`."
  type        = list(string)
  default     = []
}

variable "member_account_id" {
  description = "ID of the member account whose users the hub rotates (12 digits)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.member_account_id))
    error_message = "The member account ID must be 12 digits."
  }
}

variable "member_admin_role_name" {
  description = "Role Terraform assumes in the member account to create the member role there. Default `OrganizationAccountAccessRole`, the role AWS Organizations creates in the accounts it creates."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "member_usernames" {
  description = "IAM users of the member account to rotate, by name: listed in the hub with the account's id and named in the member role's policy. Default `[]`."
  type        = list(string)
  default     = []
}

variable "member_user_path_prefix" {
  description = "Also rotate every user of the member account under this IAM path, listed at each run (the same selection on both sides: the hub's `accounts` and the member role's policy). `null` rotates only `member_usernames`. Default `/ci/`."
  type        = string
  default     = "/ci/"

  validation {
    condition     = var.member_user_path_prefix != null || length(var.member_usernames) > 0
    error_message = "Name member users or a path to select them: without either the hub would rotate no user of the member account, while the member role would allow every user's keys."
  }
}

variable "member_role_name" {
  description = "Name of the member role, on both sides: the role the hub's functions assume and the one the member module creates. Default `credentials-rotator-member`."
  type        = string
  default     = "credentials-rotator-member"
}

variable "member_external_id" {
  description = "External ID the hub passes when it assumes the member role, and that the role requires. Default `null`: none."
  type        = string
  default     = null
}

variable "organization_id" {
  description = "ID of the AWS Organization of both accounts (`o-...`); the member role then trusts the hub's roles only as members of it. Default `null`: no such condition."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every resource, in both accounts."
  type        = map(string)
  default = {
    Project = "credentials-rotator-multi-account"
  }
}
