variable "name" {
  description = "Name of the handler's function, role and log group: 1 to 64 letters, digits, `-` or `_`, for example `<rotator name>-github-actions`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.name))
    error_message = "The name must be 1 to 64 letters, digits, - or _: it names a Lambda function and an IAM role."
  }
}

variable "targets" {
  description = "Where each user's key goes, by the user's name in the rotator (`<username>`, or `<account_id>/<username>` for a member account's user): a list of targets, each the Actions secrets of a `repository` (`owner/name`), of one of its `environment`s, or of an `organization` with its `visibility` (`all`, `private` or `selected`; default `private`, or `selected` with `selected_repositories`, names of the organization's repositories). The key id and the secret key are written as `access_key_id_name` and `secret_access_key_name` (default `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`; a prefix such as `PROD_AWS_ACCESS_KEY_ID` keeps several keys apart). A user without an entry is refused at run time and its rotation rolled back."
  type = map(list(object({
    repository             = optional(string)
    environment            = optional(string)
    organization           = optional(string)
    visibility             = optional(string)
    selected_repositories  = optional(list(string), [])
    access_key_id_name     = optional(string, "AWS_ACCESS_KEY_ID")
    secret_access_key_name = optional(string, "AWS_SECRET_ACCESS_KEY")
  })))
  nullable = false

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : (target.repository == null) != (target.organization == null)
    ]]))
    error_message = "Each target names either a repository (owner/name, with an optional environment) or an organization, not both and not neither."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : target.repository == null ? true : can(regex("^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$", target.repository))
    ]]))
    error_message = "A repository must be owner/name, as in octo-org/app: an account or organization name (letters, digits, -) and a repository name (letters, digits, ., _ and -)."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : target.environment == null ? true : (target.repository != null && length(target.environment) >= 1 && length(target.environment) <= 255)
    ]]))
    error_message = "An environment belongs to a repository target: set repository with it, and give the environment's name (1 to 255 characters)."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : target.organization == null ? (target.visibility == null && length(target.selected_repositories) == 0) : can(regex("^[A-Za-z0-9-]{1,39}$", target.organization))
    ]]))
    error_message = "An organization is its name (letters, digits, -); visibility and selected_repositories belong to organization targets only."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : target.organization == null ? true : (
        contains(["all", "private", "selected"], coalesce(target.visibility, length(target.selected_repositories) > 0 ? "selected" : "private"))
        && (coalesce(target.visibility, length(target.selected_repositories) > 0 ? "selected" : "private") == "selected") == (length(target.selected_repositories) > 0)
        && alltrue([for repository in target.selected_repositories : can(regex("^[A-Za-z0-9._-]{1,100}$", repository))])
      )
    ]]))
    error_message = "An organization's visibility is all, private or selected, and selected goes with selected_repositories (the names of the organization's repositories, without the owner), which the other visibilities do not take."
  }

  validation {
    condition = alltrue(flatten([for targets in values(var.targets) : [
      for target in targets : alltrue([
        for name in [target.access_key_id_name, target.secret_access_key_name] :
        can(regex("^[A-Za-z_][A-Za-z0-9_]{0,254}$", name)) && !startswith(upper(name), "GITHUB_")
      ]) && upper(target.access_key_id_name) != upper(target.secret_access_key_name)
    ]]))
    error_message = "Secret names are letters, digits and underscores, do not start with a digit or GITHUB_, and the two names of a target differ (GitHub compares them without case)."
  }
}

variable "github_api_url" {
  description = "Base URL of GitHub's REST API: `https://api.github.com` (default), or `https://<host>/api/v3` for GitHub Enterprise Server. `http://` is accepted for the loopback address only."
  type        = string
  default     = "https://api.github.com"
  nullable    = false

  validation {
    condition     = can(regex("^(https://[^/?#\\s]+|http://(127\\.0\\.0\\.1|localhost)(:[0-9]+)?)(/[^?#\\s]*)?$", var.github_api_url))
    error_message = "The GitHub API URL must be an https:// URL without query, such as https://api.github.com or https://github.example.com/api/v3 (the token travels with every request: plain http:// only on 127.0.0.1 or localhost)."
  }
}

variable "token_secret_arn" {
  description = "ARN of the Secrets Manager secret whose value is a fine-grained personal access token (see the module's README for its permissions). Set this or `github_app`."
  type        = string
  default     = null
}

variable "github_app" {
  description = "A GitHub App to authenticate as, instead of a token: `id` (its client id, or its app id), `private_key_secret_arn` (the secret whose value is its private key, PEM) and optionally `installation_id` (default: found for each target's owner). Each invocation gets installation tokens of its own, limited to the target repositories when the targets are all repositories."
  type = object({
    id                     = string
    private_key_secret_arn = string
    installation_id        = optional(number)
  })
  default = null

  validation {
    condition     = var.github_app == null ? true : can(regex("^([0-9]+|Iv[0-9A-Za-z.]+)$", var.github_app.id))
    error_message = "The GitHub App id is the app's client id (Iv…) or its numeric app id, from the app's settings page."
  }

  validation {
    condition     = var.github_app == null ? true : (var.github_app.installation_id == null ? true : var.github_app.installation_id > 0 && floor(var.github_app.installation_id) == var.github_app.installation_id)
    error_message = "The installation id is a positive whole number (the number at the end of the installation's settings URL)."
  }

  validation {
    condition     = (var.github_app == null) != (var.token_secret_arn == null)
    error_message = "Set exactly one of token_secret_arn (a fine-grained token) and github_app (a GitHub App)."
  }
}

variable "credential_kms_key_arn" {
  description = "ARN of the customer managed KMS key that encrypts the token's or the private key's secret. Default `null`: the AWS managed key `aws/secretsmanager`."
  type        = string
  default     = null
}

variable "timeout_seconds" {
  description = "How long one handoff may take, in seconds (10 to 900). Within it the handler waits out GitHub's rate limits and retries server errors; past it the handoff is left unconfirmed (both keys stay). Default 120."
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
