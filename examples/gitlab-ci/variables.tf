variable "name" {
  description = "Prefix of every resource name, the demo users' names included."
  type        = string
  default     = "gitlab-keys-demo"
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

variable "gitlab_url" {
  description = "The GitLab instance: `https://gitlab.com` or a self-managed instance's URL."
  type        = string
  default     = "https://gitlab.com"
}

variable "gitlab_token_secret_arn" {
  description = "ARN of the Secrets Manager secret that holds a GitLab access token with the `api` scope and the Maintainer role (the handler module's README). Create it outside Terraform, so that the token is in no state file."
  type        = string
}

variable "project" {
  description = "Project (full path or id) whose CI/CD variables receive the keys of the first two demo users."
  type        = string
  default     = "platform/deploy"
}

variable "group" {
  description = "Group (full path or id) whose CI/CD variables receive the key of the third demo user."
  type        = string
  default     = "platform"
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
