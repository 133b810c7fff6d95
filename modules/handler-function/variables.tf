variable "name" {
  description = "Name of the function, its role and its log group (`/aws/lambda/<name>`): 1 to 64 letters, digits, `-` or `_`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "The name must be 1 to 64 letters, digits, - or _: it names a Lambda function and an IAM role."
  }
}

variable "description" {
  description = "Description of the function and its role (at most 256 characters)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.description) <= 256
    error_message = "The description must be at most 256 characters (a Lambda function's limit)."
  }
}

variable "zip_path" {
  description = "Path of the function's zip, built by `make build` for Lambda's `python3.13` runtime on `x86_64` (the handler's native wheels are of that runtime and architecture)."
  type        = string
  nullable    = false
}

variable "entry_point" {
  description = "The function's handler, `<package>.handler.handler`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)+$", var.entry_point))
    error_message = "The entry point must be a dotted Python path such as github_actions_handler.handler.handler."
  }
}

variable "environment" {
  description = "The function's environment variables; together at most 4 KB (Lambda's limit)."
  type        = map(string)
  nullable    = false
}

variable "targets_per_user" {
  description = "How many targets each user's key goes to, by the user's name in the rotator: `<username>` for a user of the rotator's account, `<account_id>/<username>` for a member account's (the keys of the handler module's `targets`)."
  type        = map(number)
  nullable    = false

  validation {
    condition     = length(var.targets_per_user) > 0 && alltrue([for count in values(var.targets_per_user) : count > 0])
    error_message = "Map at least one user, each to at least one target: a handler without targets could only refuse every key."
  }

  validation {
    condition     = alltrue([for user in keys(var.targets_per_user) : can(regex("^([0-9]{12}/)?[\\w+=,.@-]{1,64}$", user))])
    error_message = "Each key of targets must be a user's name in the rotator: an IAM user name (1 to 64 letters, digits and _+=,.@-), or <12-digit account id>/<IAM user name> for a member account's user."
  }
}

variable "credential_secret_arns" {
  description = "ARNs of the secrets that hold the target's credentials (a token, a private key): the only secrets the function reads besides the rotator's, which the rotator grants (its `credentials_handler_role_name`)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.credential_secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$", arn))])
    error_message = "Each credential secret must be the full ARN of a Secrets Manager secret, arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters> as Secrets Manager shows it, without wildcards: the function's role may read exactly that ARN."
  }
}

variable "credential_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the credential secrets; the function may decrypt with it through Secrets Manager only. Default `null`: the AWS managed key `aws/secretsmanager`."
  type        = string
  default     = null

  validation {
    condition     = var.credential_kms_key_arn == null ? true : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.credential_kms_key_arn))
    error_message = "The KMS key must be a key ARN, arn:<partition>:kms:<region>:<account>:key/<key id> (not an alias)."
  }
}

variable "timeout_seconds" {
  description = "How long one handoff may take, in seconds (10 to 900). The handler retries a busy or silent target within this time, then leaves the handoff unconfirmed."
  type        = number
  nullable    = false

  validation {
    condition     = var.timeout_seconds >= 10 && var.timeout_seconds <= 900 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "The timeout must be a whole number of seconds from 10 to 900 (Lambda's longest)."
  }
}

variable "log_retention_days" {
  description = "Retention in days of the function's log group; one of the values CloudWatch Logs accepts (0 keeps logs forever)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log retention must be one of 0 (forever), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days."
  }
}

variable "tags" {
  description = "Tags of the function, its role and its log group."
  type        = map(string)
  nullable    = false
}
