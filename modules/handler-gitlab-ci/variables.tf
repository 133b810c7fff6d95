variable "name" {
  description = "Name of the handler's function, role and log group: 1 to 64 letters, digits, `-` or `_`, for example `<rotator name>-gitlab-ci`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "The name must be 1 to 64 letters, digits, - or _: it names a Lambda function and an IAM role."
  }
}

variable "targets" {
  description = "Where each user's key goes, by the user's name in the rotator (`<username>`, or `<account_id>/<username>` for a member account's user): a list of targets, each the CI/CD variables of a `project` or a `group` (its numeric id or its full path, `group/subgroup/project`). Each target's variables get its `environment_scope` (default `*`), are `protected` (default true: only protected branches and tags see them) and `masked` (default true), and `hidden` (default false: GitLab 17.4 or newer, set when a variable is created). The key id and the secret key are written as `access_key_id_name` and `secret_access_key_name` (default `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`). A user without an entry is refused at run time and its rotation rolled back."
  type = map(list(object({
    project                = optional(string)
    group                  = optional(string)
    environment_scope      = optional(string, "*")
    protected              = optional(bool, true)
    masked                 = optional(bool, true)
    hidden                 = optional(bool, false)
    access_key_id_name     = optional(string, "AWS_ACCESS_KEY_ID")
    secret_access_key_name = optional(string, "AWS_SECRET_ACCESS_KEY")
  })))
  nullable = false

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : (target.project == null) != (target.group == null) && alltrue([
        for path in compact([target.project, target.group]) : can(regex("^([0-9]+|[A-Za-z0-9_.][A-Za-z0-9_.-]*(/[A-Za-z0-9_.][A-Za-z0-9_.-]*)*)$", path))
      ])
    ]]))
    error_message = "Each target names either a project or a group, by its numeric id or its full path (group/subgroup/project, letters, digits, _, . and -), not both and not neither."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : length(target.environment_scope) >= 1 && length(target.environment_scope) <= 255 && !strcontains(target.environment_scope, "\n")
    ]]))
    error_message = "An environment scope is * (every environment), an environment's name, or a wildcard such as review/*: 1 to 255 characters on one line."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : !target.hidden || target.masked
    ]]))
    error_message = "A hidden variable is masked too: hidden = true needs masked = true."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : alltrue([
        for name in [target.access_key_id_name, target.secret_access_key_name] : can(regex("^[A-Za-z0-9_]{1,255}$", name))
      ]) && target.access_key_id_name != target.secret_access_key_name
    ]]))
    error_message = "Variable keys are 1 to 255 letters, digits and underscores, and the two keys of a target differ."
  }
}

variable "gitlab_url" {
  description = "Base URL of the GitLab instance: `https://gitlab.com` (default) or a self-managed instance's; the handler calls its REST API under `/api/v4`. `http://` is accepted for the loopback address only."
  type        = string
  default     = "https://gitlab.com"
  nullable    = false

  validation {
    condition     = can(regex("^(https://[^/?#\\s]+|http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?)(/[^?#\\s]*)?$", var.gitlab_url))
    error_message = "The GitLab URL must be an https:// URL without query, such as https://gitlab.com or https://gitlab.example.com (the token travels with every request: plain http:// only on 127.0.0.1 or localhost)."
  }
}

variable "token_secret_arn" {
  description = "ARN of the Secrets Manager secret whose value is a GitLab access token with the `api` scope and the Maintainer role on the targets (see the module's README)."
  type        = string
  nullable    = false
}

variable "credential_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the token's secret. Default `null`: the AWS managed key `aws/secretsmanager`."
  type        = string
  default     = null
}

variable "timeout_seconds" {
  description = "How long one handoff may take, in seconds (10 to 900). Within it the handler waits out GitLab's rate limits and retries server errors; past it the handoff is left unconfirmed (both keys stay). Default 120."
  type        = number
  default     = 120
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention in days of the handler's log group; one of the values CloudWatch Logs accepts (0 keeps logs forever). Default 365."
  type        = number
  default     = 365
  nullable    = false
}

variable "tags" {
  description = "Tags of the handler's function, role and log group. Default `{}`."
  type        = map(string)
  default     = {}
  nullable    = false
}
