variable "hub_role_arns" {
  description = "ARNs of the hub's function roles that may assume this role: the hub module's `function_role_arns` output. Nothing else may assume it."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.hub_role_arns) > 0
    error_message = "Name at least one hub role: the hub module's function_role_arns output. A role nobody may assume would rotate nothing."
  }

  validation {
    condition = alltrue([
      for arn in var.hub_role_arns :
      can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/([!-~]+/)?[\\w+=,.@-]{1,64}$", arn)) && !strcontains(arn, "*")
    ])
    error_message = "Every hub role must be the exact ARN of an IAM role, arn:<partition>:iam::<account>:role/<name> (a path may stand before the name), without wildcards: a trust policy does not accept \"*\" in a role ARN, and the hub's function_role_arns output gives the exact ARNs."
  }
}

variable "organization_id" {
  description = "ID of the AWS Organization the hub's account belongs to (`o-` and 10 to 32 characters). When set, the role may be assumed only by principals of that organization (`aws:PrincipalOrgID`). Default `null`: no such condition."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null ? true : can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "The organization ID must look like o-a1b2c3d4e5: \"o-\" followed by 10 to 32 lowercase letters or digits (AWS Organizations shows it on its settings page)."
  }
}

variable "external_id" {
  description = "External ID the hub must pass when it assumes the role (`sts:ExternalId`): the hub module's `member_external_id`. Default `null`: none required."
  type        = string
  default     = null

  validation {
    # RE2 repeats at most 1000 times: the length is checked on its own.
    condition = var.external_id == null ? true : (
      length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[\\w+=,.@:/-]+$", var.external_id))
    )
    error_message = "The external ID must be 2 to 1224 characters of letters, digits and _+=,.@:/- , as AWS STS accepts it."
  }
}

variable "role_name" {
  description = "Name of the role; the hub assumes `arn:<partition>:iam::<account>:role/<role_name>`, so it must match the hub's `member_role_name` (or the account's `role_name` in the hub's `accounts`). Default `credentials-rotator-member`."
  type        = string
  default     = "credentials-rotator-member"
  nullable    = false

  validation {
    condition     = can(regex("^[\\w+=,.@-]{1,64}$", var.role_name))
    error_message = "The role name must be an IAM role name: 1 to 64 letters, digits and _+=,.@- ."
  }
}

variable "role_path" {
  description = "IAM path of the role. The hub builds the role's ARN from its name alone (`role/<name>`), so keep the default `/` unless the hub is told the path as well."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([!-~]{1,510}/)?$", var.role_path))
    error_message = "The role path must be an IAM path: \"/\" or a string that starts and ends with \"/\" made of printable ASCII characters, at most 512 long, such as \"/rotation/\"."
  }
}

variable "max_session_duration" {
  description = "Longest session the role grants, in seconds (3600 to 43200). The hub's functions assume it from their own role's session (role chaining), which AWS caps at one hour whatever this says. Default `3600`."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200 && floor(var.max_session_duration) == var.max_session_duration
    error_message = "The maximum session duration must be a whole number of seconds from 3600 (one hour) to 43200 (12 hours)."
  }
}

variable "permissions_boundary" {
  description = "ARN of a managed policy to set as the role's permissions boundary, where the account requires one. It must allow the role's key actions. Default `null`: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary))
    error_message = "The permissions boundary must be the ARN of a managed policy: arn:<partition>:iam::<account or aws>:policy/<path and name>."
  }
}

variable "usernames" {
  description = "IAM users of this account whose keys the hub rotates, by name (at whatever IAM path they are): the role acts on exactly these users. Default `[]`: without `user_path_prefix` or `user_tag`, every user of the account."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for name in var.usernames : can(regex("^[\\w+=,.@-]{1,64}$", name))])
    error_message = "Every username must be an IAM user name: 1 to 64 letters, digits and _+=,.@- ."
  }
}

variable "user_path_prefix" {
  description = "Also let the hub act on every IAM user whose path starts with this prefix, for example `/ci/`: the key actions then cover `user<prefix>*`. Use the same value as the hub's `accounts[<id>].user_path_prefix`. Default `null`: `/` (every user) when `usernames` is empty, no selection by path otherwise."
  type        = string
  default     = null

  validation {
    condition     = var.user_path_prefix == null ? true : can(regex("^/([!-~]{1,510}/)?$", var.user_path_prefix))
    error_message = "The user path prefix must be an IAM path: \"/\" or a string that starts and ends with \"/\" made of printable ASCII characters, at most 512 long, such as \"/ci/\"."
  }

  validation {
    condition     = var.user_path_prefix == null ? true : !strcontains(var.user_path_prefix, "*") && !strcontains(var.user_path_prefix, "?")
    error_message = "The user path prefix must not contain \"*\" or \"?\": they are wildcards in the policy ARN `user<prefix>*` that scopes the role's permissions, so they would reach users outside the path."
  }
}

variable "user_tag" {
  description = "Let the hub act only on selected users that carry this tag (`iam:ResourceTag/<key>`): `key` alone requires the tag with any value, `key` and `value` that value. Use the same value as the hub's `accounts[<id>].user_tag`. The users named in `usernames` need no tag. Default `null`: no tag required."
  type = object({
    key   = string
    value = optional(string)
  })
  default = null

  validation {
    condition = var.user_tag == null ? true : (
      can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{1,128}$", var.user_tag.key))
      && !startswith(lower(var.user_tag.key), "aws:")
    )
    error_message = "The user tag key must follow IAM's rules for tag keys: 1 to 128 letters, digits, spaces and _.:/=+-@, not starting with \"aws:\"."
  }

  validation {
    condition = var.user_tag == null ? true : (
      var.user_tag.value == null ? true : can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{0,256}$", var.user_tag.value))
    )
    error_message = "The user tag value must follow IAM's rules for tag values: at most 256 letters, digits, spaces and _.:/=+-@ (or null to require the tag with any value)."
  }
}

variable "allow_user_listing" {
  description = "Whether the hub's plan function may list the selected users at each run: `iam:ListUsers` for a path, `iam:GetAccountAuthorizationDetails` with a tag (AWS takes both only on `*`). Without it the hub cannot select users in this account, only rotate the ones it lists by name. Default `true`; it has no effect when only `usernames` are given."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags of the role. Default `{}`."
  type        = map(string)
  default     = {}
  nullable    = false
}
