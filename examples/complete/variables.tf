variable "name" {
  description = "Prefix of every resource name, the demo users' names included."
  type        = string
  default     = "rotator-demo"
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

variable "demo_users" {
  description = "Demo IAM users to create and rotate, keyed by a short name; the IAM user is `<name>-<key>` and the value is its metadata (empty: none)."
  type        = map(string)
  default = {
    homer = "nuclear-plant"
    marge = "household"
    bart  = ""
  }
}

variable "demo_user_path" {
  description = "IAM path of the demo users."
  type        = string
  default     = "/rotated/"
}

variable "exclude_users" {
  description = "IAM usernames the rotator leaves alone, demo users included (passed to the module). Default `[]`."
  type        = set(string)
  default     = []
}

variable "consumer_fail_for_users" {
  description = "Demo and test hook: IAM usernames for which the sample consumer fails on purpose, to show a handoff being rolled back. Default `[]`."
  type        = list(string)
  default     = []
}

variable "schedule_expression" {
  description = "When runs start."
  type        = string
  default     = "rate(1 hour)"
}

variable "schedule_timezone" {
  description = "Time zone of a cron() schedule."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule starts runs."
  type        = bool
  default     = true
}

variable "cleanup_wait_seconds" {
  description = "Grace between handoff and retirement of the previous keys; short so that a demo run ends quickly."
  type        = number
  default     = 10
}

variable "last_use_delay_seconds" {
  description = "How long IAM may take to publish a key's use; null keeps the module's default (4 hours). LocalStack publishes a use at once, so the tests set 0."
  type        = number
  default     = null
}

variable "old_key_action" {
  description = "`delete` or `deactivate` the previously delivered key."
  type        = string
  default     = "delete"
}

variable "max_key_age_days" {
  description = "Rotate only keys older than this many days; `null` rotates on every run."
  type        = number
  default     = null
}

variable "max_concurrency" {
  description = "Users rotated at once."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "Retention of every log group."
  type        = number
  default     = 365
}

variable "lambda_runtime" {
  description = "Runtime of the rotator's functions and of the sample consumer."
  type        = string
  default     = "python3.13"
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default = {
    Project = "credentials-rotator-demo"
  }
}
