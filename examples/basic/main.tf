terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.76"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "credentials_handler_arn" {
  description = "ARN of your Lambda function that receives the new keys."
  type        = string
}

variable "usernames" {
  description = "Existing IAM users (path `/`) whose keys to rotate."
  type        = list(string)
  default     = ["ci-deployer"]
}

module "credentials_rotator" {
  source = "../.."

  name                    = "ci-keys"
  users                   = [for username in var.usernames : { username = username }]
  credentials_handler_arn = var.credentials_handler_arn
}

output "state_machine_arn" {
  description = "ARN of the rotation state machine."
  value       = module.credentials_rotator.state_machine_arn
}

output "secret_names" {
  description = "Map of each listed username to the name of the secret that holds its current key."
  value       = module.credentials_rotator.secret_names
}

output "credentials_handler_policy_json" {
  description = "Attach this policy to your handler's role so it can read the secrets."
  value       = module.credentials_rotator.credentials_handler_policy_json
}

output "start_rotation_command" {
  description = "AWS CLI command that starts a run now."
  value       = module.credentials_rotator.start_rotation_command
}
