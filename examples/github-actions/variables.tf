variable "name" {
  description = "Prefix of every resource name, the demo users' names included."
  type        = string
  default     = "github-keys-demo"
}

variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoint_url" {
  description = "Endpoint of an AWS emulator such as LocalStack (`http://127.0.0.1:4566`) for every service the example uses. Default `null`: real AWS with your usual credentials."
  type        = string
  default     = null
}

variable "github_api_url" {
  description = "GitHub's REST API: `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server."
  type        = string
  default     = "https://api.github.com"
}

variable "github_token_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds a fine-grained personal access token with the permissions the handler module's README lists. Create it outside Terraform, so that the token is in no state file."
  type        = string
}

variable "repository" {
  description = "Repository (`owner/name`) whose Actions secrets, and whose `production` environment's, receive the keys of the first two demo users."
  type        = string
  default     = "octo-org/app"
}

variable "organization" {
  description = "Organization whose Actions secrets, visible to the repository's name only, receive the key of the third demo user."
  type        = string
  default     = "octo-org"
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
