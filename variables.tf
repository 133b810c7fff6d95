variable "name" {
  description = "Prefix of every resource name: functions `<name>-plan` and so on, the state machine and schedule `<name>`, the parameter `/<name>/users`, secrets `<name>/<username>`. 1 to 48 letters, digits, `-` or `_`, starting with a letter or digit."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$", var.name))
    error_message = "The name must be 1 to 48 characters of letters, digits, '-' and '_', starting with a letter or digit, so that `<name>-record-outcomes` fits Lambda's 64-character function names."
  }

  validation {
    condition     = !can(regex("^(?i)(aws|ssm)", var.name))
    error_message = "The name must not start with \"aws\" or \"ssm\" (any case): Systems Manager reserves parameter names beginning with them, and the users parameter is `/<name>/users`."
  }
}

variable "users" {
  description = "The IAM users whose access keys are rotated, by name (at whatever IAM path they are). `metadata` is an optional string passed untouched to the credentials handler. `account_id` names a member account the user belongs to (see `accounts`); default `null`: the module's own account."
  type = list(object({
    username   = string
    metadata   = optional(string)
    account_id = optional(string)
  }))
  default  = []
  nullable = false

  validation {
    # A user the rotator can keep a secret for: an IAM user name without ',', which IAM allows
    # but secret names do not (exclude_users takes any IAM user name).
    condition     = alltrue([for u in var.users : can(regex("^[A-Za-z0-9_+=.@-]{1,64}$", u.username))])
    error_message = "Every username must be 1 to 64 characters of letters, digits and _+=.@- . IAM also allows ',', but each user's secret is named `<name>/<username>` and Secrets Manager names cannot contain ','."
  }

  validation {
    condition     = alltrue([for u in var.users : u.account_id == null || can(regex("^[0-9]{12}$", u.account_id))])
    error_message = "Every account_id must be a 12-digit AWS account id (or null: the module's own account)."
  }

  validation {
    condition = length(distinct([
      for u in var.users : "${coalesce(u.account_id, data.aws_caller_identity.current.account_id)}/${lower(u.username)}"
    ])) == length(var.users)
    error_message = "Usernames must be unique within an account (IAM user names are case-insensitive, so \"Homer\" and \"homer\" are the same user, and account_id null is the module's own account): two entries for one user would let one run rotate it twice."
  }


  # The size of the users list is checked where the list is encoded: the users parameter
  # (main.tf), since a validation may not refer to that encoding.
}

variable "credentials_handler_arn" {
  description = "ARN of the Lambda function that receives each new key (see the handler contract in the README). An alias or version qualifier may be appended."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$", var.credentials_handler_arn))
    error_message = "The credentials handler must be a Lambda function ARN: arn:<partition>:lambda:<region>:<account>:function:<name>, optionally followed by :<alias or version>."
  }

  validation {
    condition     = try(split(":", var.credentials_handler_arn)[4] == data.aws_caller_identity.current.account_id, true)
    error_message = "The credentials handler must be a function of the account the module deploys to. The module allows its state machine's role to invoke the handler, but a function in another account would also need a resource-based policy that allows that role, which the module does not create, so every handoff would fail. Deploy the handler, or a small function that forwards to it, in this account."
  }

  validation {
    condition     = try(split(":", var.credentials_handler_arn)[3] == data.aws_region.current.name, true)
    error_message = "The credentials handler must be in the module's region (the AWS provider's). The state machine hands each key off through Step Functions' lambda:invoke integration, which calls functions of the state machine's own region, so a handler in another region would fail every handoff. Deploy the handler, or a small function that forwards to it, in this region."
  }
}

variable "credentials_handler_role_name" {
  description = "Name of the credentials handler's IAM role, known at plan time. When set, the module attaches an inline policy that lets it read exactly this module's secrets (and decrypt them with `kms_key_arn`). Default `null`: attach `credentials_handler_policy_json` yourself."
  type        = string
  default     = null

  validation {
    condition     = var.credentials_handler_role_name == null || can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", var.credentials_handler_role_name))
    error_message = "The credentials handler role name must be an IAM role name (1 to 64 characters of letters, digits and _+=,.@-), not an ARN."
  }
}

variable "schedule_expression" {
  description = "When runs start: an EventBridge Scheduler `rate(...)` or `cron(...)` expression starting at most 4 runs an hour (`rate(15 minutes)` or slower; a cron minutes field selecting at most 4 minutes), since every run writes a version of each user's secret and Secrets Manager allows about 100 a day. Default `rate(1 hour)`."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition = (
      can(regex("^rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)$", var.schedule_expression))
      || can(regex("^cron\\([^ ()]+( [^ ()]+){5}\\)$", var.schedule_expression))
    )
    error_message = "The schedule expression must be rate(<value> <unit>) with a positive whole value (\"rate(1 hour)\", \"rate(12 hours)\"; singular unit for 1, plural above) or a six-field cron(...) expression such as \"cron(0 3 * * ? *)\"."
  }

  # Secrets Manager's version quota: every run writes a new version of each user's secret, and
  # unlabelled versions beyond 100 are removed only once they are 24 hours old, so more than about
  # 100 runs a day would make every user's write fail. At most 4 runs an hour (96 a day): a rate()
  # of 15 minutes or more, or a cron() whose minutes field selects at most 4 of the minutes 0-59.
  # The minutes field is a list of items: `*`, `m`, `m-n` (past 59 it wraps to 0), each optionally
  # followed by `/step` (`m/step` runs from m to 59); a field it cannot read counts as too frequent.
  validation {
    condition = alltrue(concat(
      [for rate in regexall("^rate\\(([0-9]+) minutes?\\)$", var.schedule_expression) : tonumber(rate[0]) >= 15],
      [for cron in regexall("^cron\\(([^ ()]+) ", var.schedule_expression) : try(length(distinct(flatten([
        for item in split(",", cron[0]) : [
          for parts in [regex("^(?:\\*|([0-5]?[0-9])(?:-([0-5]?[0-9]))?)(?:/([0-9]+))?$", item)] : [
            for first in [parts[0] == null ? 0 : tonumber(parts[0])] : [
              for last in [parts[1] != null ? tonumber(parts[1]) : (parts[0] == null || parts[2] != null ? 59 : first)] : [
                for minute in range(first, (last < first ? last + 60 : last) + 1, parts[2] == null ? 1 : tonumber(parts[2])) : minute % 60
              ]
            ]
          ]
        ]
      ]))) <= 4, false)],
    ))
    error_message = "The schedule starts runs too often: at most 4 runs an hour are allowed. Each run writes a new version of every user's secret, and Secrets Manager removes the versions beyond 100 only once they are 24 hours old, so more than about 100 runs a day would make every user's rotation fail. Use rate(15 minutes) or slower, or a cron() whose minutes field selects at most 4 minutes of the hour, such as \"cron(0 * * * ? *)\" (hourly) or \"cron(0/15 * * * ? *)\" (every 15 minutes)."
  }
}

variable "schedule_timezone" {
  description = "IANA time zone in which a `cron(...)` schedule is evaluated, for example `Europe/Paris`. Default `UTC`."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_+/-]{0,49}$", var.schedule_timezone))
    error_message = "The schedule time zone must be an IANA time zone name such as \"UTC\" or \"America/New_York\"."
  }
}

variable "enabled" {
  description = "Whether the schedule starts runs. `false` keeps everything deployed and leaves on-demand runs possible. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "cleanup_wait_seconds" {
  description = "Seconds a consumer is given to switch to its new key before the previous key may go. When a run retires the previous keys itself (`in_use_key_action = \"retire\"`, or `last_use_delay_seconds = 0`), it waits this long between its handoffs and the retirements; otherwise a later run judges each previous key on its uses in this time after the handoff, and the run does not wait. Must be shorter than a `rate()` period. Default 300."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.cleanup_wait_seconds >= 0 && floor(var.cleanup_wait_seconds) == var.cleanup_wait_seconds
    error_message = "The cleanup wait must be a whole number of seconds, 0 or more."
  }

  validation {
    condition     = local.rate_period_seconds == null || var.cleanup_wait_seconds < coalesce(local.rate_period_seconds, 0)
    error_message = "The cleanup wait must be shorter than the period of the rate() schedule; otherwise the next run would start while the previous one is still waiting and be refused."
  }
}

variable "old_key_action" {
  description = "What happens to the previously delivered key after the grace wait: `delete` or `deactivate` (the next run deletes an inactive key). Default `delete`."
  type        = string
  default     = "delete"
  nullable    = false

  validation {
    condition     = contains(["delete", "deactivate"], var.old_key_action)
    error_message = "The old key action must be \"delete\" or \"deactivate\"."
  }
}

variable "max_key_age_days" {
  description = "Rotate only users whose delivered key is older than this many days; on-demand runs with `force` ignore it. Default `null`: rotate every user on every run."
  type        = number
  default     = null

  validation {
    condition     = var.max_key_age_days == null || try(var.max_key_age_days >= 1 && floor(var.max_key_age_days) == var.max_key_age_days, false)
    error_message = "The maximum key age must be a whole number of days, 1 or more (or null to rotate on every run)."
  }
}

variable "verify_new_key" {
  description = "Before each handoff, prove the new key works: `sts:GetCallerIdentity` signed with it must answer with the user three times in a row, a second apart, the first 5 s after the key's creation (IAM refuses a new key for a few seconds). A key that never does is deleted and the delivered key stays current (the user fails with `NewKeyNotUsable`). Costs three STS calls (one more for each second IAM takes beyond 5) and about 7 seconds of the rotate function per rotated user. Default true."
  type        = bool
  default     = true
  nullable    = false
}

variable "verify_new_key_timeout_seconds" {
  description = "How long a new key may take to work (IAM is eventually consistent; new keys are commonly refused for a few seconds). Default 60."
  type        = number
  default     = 60
  nullable    = false

  validation {
    # The rotate function's timeout (lambda.tf) leaves two minutes for the rest of its work.
    condition     = var.verify_new_key_timeout_seconds >= 5 && var.verify_new_key_timeout_seconds <= 180 && floor(var.verify_new_key_timeout_seconds) == var.verify_new_key_timeout_seconds
    error_message = "The new key's time limit must be a whole number of seconds from 5 to 180."
  }
}

variable "in_use_key_action" {
  description = "What happens to a previous key that was used after its successor was handed off (IAM's last-used date), so its consumer has not moved: `defer` keeps it Active and the next run checks it again before it rotates the user; `deactivate` deactivates it instead of deleting it (undo by reactivating it); `retire` retires it as `old_key_action` says, used or not. Default `defer`."
  type        = string
  default     = "defer"
  nullable    = false

  validation {
    condition     = contains(["defer", "deactivate", "retire"], var.in_use_key_action)
    error_message = "in_use_key_action must be \"defer\", \"deactivate\" or \"retire\"."
  }
}

variable "max_deferrals" {
  description = "With `in_use_key_action = \"defer\"`: the run that finds a previous key still in use for the `max_deferrals`-th time in a row fails the user with `KeyStillInUse`, so the alarm fires (the key still stays Active). Default 3."
  type        = number
  default     = 3
  nullable    = false

  validation {
    condition     = var.max_deferrals >= 1 && var.max_deferrals <= 100 && floor(var.max_deferrals) == var.max_deferrals
    error_message = "max_deferrals must be a whole number from 1 to 100."
  }
}

variable "last_use_delay_seconds" {
  description = "How long IAM may take to publish a use of a key in its last-used date. Unless `in_use_key_action = \"retire\"`, a previous key is judged on its uses in the grace wait after the handoff (`cleanup_wait_seconds`), and only once they are this old: when `finish` comes sooner it leaves the key Active, and the first run after checks it and retires it unless it was used after the handoff. AWS documents no delay for access keys; the default, 14400 (4 hours), is its documented figure for IAM's last-accessed data. 0 judges at `finish`, on whatever IAM has published by then."
  type        = number
  default     = 14400
  nullable    = false

  validation {
    condition     = var.last_use_delay_seconds >= 0 && var.last_use_delay_seconds <= 604800 && floor(var.last_use_delay_seconds) == var.last_use_delay_seconds
    error_message = "last_use_delay_seconds must be a whole number of seconds from 0 to 604800 (7 days)."
  }
}

variable "max_concurrency" {
  description = "How many users one run rotates at the same time: batches of 60 users run side by side, each rotating up to 20 of its users at once. Each user in flight holds an invocation of the rotate function, then one of your credentials handler: up to twice this many concurrent Lambda executions (the account's default quota is 1,000 per Region), and this many handlers at once against whatever your handler writes to. Default 100: with new keys proven (`verify_new_key`), each user takes about 8 s, and 100 at once let a run keep up with IAM's 10 writes a second, about 10 minutes for 5,000 users (README, \"How long 5,000 users take on AWS\")."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 200 && floor(var.max_concurrency) == var.max_concurrency
    error_message = "The maximum concurrency must be a whole number from 1 to 200 (each user in flight holds two concurrent Lambda executions, of the account's 1,000 by default)."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer managed KMS key, in the module's region, that encrypts the users' secrets. Default `null`: the AWS managed key `aws/secretsmanager`."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "The KMS key must be a key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>); alias ARNs do not work because the policies grant on the key itself."
  }

  validation {
    condition     = var.kms_key_arn == null || try(split(":", var.kms_key_arn)[3] == data.aws_region.current.name, true)
    error_message = "The KMS key must be in the same region as the module: Secrets Manager only encrypts with keys of its own region."
  }
}

variable "alarm_sns_topic_arn" {
  description = "ARN of an SNS topic notified when a run fails or times out; it must be known at plan time (a literal or built from the topic's name), because it decides whether the alarm exists. Default `null`: no alarm."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_sns_topic_arn))
    error_message = "The alarm topic must be a standard SNS topic ARN: arn:<partition>:sns:<region>:<account>:<topic name>."
  }
}

variable "event_bus_name" {
  description = "EventBridge bus that receives one event per user a run rotated, failed or deferred (their detail types in output `event_detail_types`), with source `credentials-rotator.<name>` (output `event_source`): a bus name of this account and region, or a bus ARN of this region (a bus of another account must allow this account to put events). Default `default`, the account's default bus; `null` sends no events."
  type        = string
  default     = "default"

  validation {
    condition = var.event_bus_name == null || (
      can(regex("^[A-Za-z0-9._/-]{1,256}$", var.event_bus_name))
      || can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._/-]{1,256}$", var.event_bus_name))
    )
    error_message = "The event bus must be a bus name (1 to 256 letters, digits and ._/-), an event bus ARN (arn:<partition>:events:<region>:<account>:event-bus/<name>), or null to send no events."
  }

  validation {
    condition     = var.event_bus_name == null || !can(regex("^aws\\.", var.event_bus_name))
    error_message = "The event bus cannot be a partner event bus (a name starting with \"aws.\"): partner buses only receive events from their partner."
  }

  validation {
    condition     = try(!startswith(var.event_bus_name, "arn:") || split(":", var.event_bus_name)[3] == data.aws_region.current.name, true)
    error_message = "The event bus ARN must be in the module's region (the AWS provider's): PutEvents sends to a bus of its own region. To reach another region, add a rule on a bus of this region that targets the other region's bus."
  }
}

variable "key_age_alarm" {
  description = "Whether to create the key-age alarm (output `key_age_alarm_arn`): it fires when the oldest key a handler holds among a run's users is older than `max_key_age_days` plus one schedule period (output `key_age_limit_days`), and notifies `alarm_sns_topic_arn` when set. Default `null`: on when `max_key_age_days` is set."
  type        = bool
  default     = null

  validation {
    condition     = var.key_age_alarm != true || var.max_key_age_days != null
    error_message = "The key-age alarm needs max_key_age_days: without a maximum age every run rotates every user, and there is no age to watch. Set max_key_age_days, or leave key_age_alarm null."
  }
}

variable "create_dashboard" {
  description = "Whether to create a CloudWatch dashboard named after the module (output `dashboard_url`): users rotated, skipped, failed and deferred per run, failures by error name, the oldest key's age against its limit, and the last runs. Default `true`."
  type        = bool
  default     = true
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention in days of every log group the module creates; one of the values CloudWatch Logs accepts (0 keeps logs forever). Default 365."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log retention must be one of 0 (never expire), 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days."
  }
}

variable "run_data_retention_days" {
  description = "Days the run-data bucket keeps each run's items, outcomes and full summary (names and ids, never a secret) before they expire. Default 30."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.run_data_retention_days >= 1 && floor(var.run_data_retention_days) == var.run_data_retention_days
    error_message = "The run data retention must be a whole number of days, 1 or more."
  }
}

variable "lambda_runtime" {
  description = "Lambda runtime of the module's functions; a Python runtime, 3.11 or newer. Default `python3.13`."
  type        = string
  default     = "python3.13"
  nullable    = false

  validation {
    condition     = can(regex("^python3\\.(1[1-9]|[2-9][0-9])$", var.lambda_runtime))
    error_message = "The Lambda runtime must be a Python runtime from python3.11 on, such as \"python3.13\"."
  }
}

variable "tags" {
  description = "Tags merged into every taggable resource, including the secrets the rotator creates at run time. They also travel in the functions' environment (Lambda's 4 KB, shared with `exclude_users` and the other settings; the plan refuses one that would not fit). Default `{}`."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    # A resource holds at most 50 tags; the rotator adds one of its own to a user's secret when a
    # previous key is still in use (credentials_rotator.run.in_use).
    condition = length(var.tags) <= 49 && alltrue([
      for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")
    ])
    error_message = "Tags must be at most 49 pairs (the rotator adds one to a secret) with keys of 1 to 128 characters that do not start with \"aws:\" and values of at most 256 characters."
  }

  # Their size with the other settings the functions' environment carries is checked where the
  # environment is built (lambda.tf), as Lambda measures it.
}

variable "user_path_prefix" {
  description = "Also rotate every IAM user whose path starts with this prefix, listed at each run, for example `/ci/` (`/` selects every user of the account). The key permissions then cover `user<prefix>*`. Default `null`: no selection by path."
  type        = string
  default     = null

  validation {
    condition     = var.user_path_prefix == null ? true : can(regex(local.iam_path_pattern, var.user_path_prefix))
    error_message = "The user path prefix must be an IAM path: \"/\" or a string that starts and ends with \"/\" made of printable ASCII characters, at most 512 long, such as \"/ci/\"."
  }

  validation {
    condition     = var.user_path_prefix == null ? true : !strcontains(var.user_path_prefix, "*") && !strcontains(var.user_path_prefix, "?")
    error_message = "The user path prefix must not contain \"*\" or \"?\": they are wildcards in the policy ARN `user<prefix>*` that scopes the rotator's permissions, so they would reach users outside the path."
  }
}

variable "user_tag" {
  description = "Also rotate every IAM user carrying this tag, listed at each run: `key` alone matches any value, `key` and `value` only that value (keys ignore case, values do not). Such a user's metadata is its `credentials-rotator:metadata` tag, and the key permissions require the tag on the user. Default `null`: no selection by tag."
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
    error_message = "The user tag value must follow IAM's rules for tag values: at most 256 letters, digits, spaces and _.:/=+-@ (or null to match any value)."
  }
}

variable "exclude_users" {
  description = "Names of IAM users never rotated, whether listed in `users` or selected by `user_path_prefix` or `user_tag` (names ignore case, as IAM's do). They travel in the functions' environment, which Lambda limits to 4 KB with `tags`, `accounts` and the other settings: the plan refuses one that would not fit. Default `[]`."
  type        = set(string)
  default     = []
  nullable    = false

  validation {
    # Any IAM user name, ',' included: excluding such a user is how a selection that finds one
    # goes on (users takes only names a secret can be named after).
    condition     = alltrue([for name in var.exclude_users : can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", name))])
    error_message = "Every excluded name must be an IAM user name: 1 to 64 letters, digits and _+=,.@- ."
  }

  # Their size with the other settings the functions' environment carries is checked where the
  # environment is built (lambda.tf), as Lambda measures it.
}

variable "accounts" {
  description = "Member accounts whose users this module rotates too, by account id: `user_path_prefix` and `user_tag` select users there at each run (as the module's own variables do in its account), `exclude_users` are never rotated there, and `role_name` is the role the functions assume there (default `member_role_name`). An account whose users are all listed in `users` (with `account_id`) needs an entry only for another role name. Apply `modules/member-role` in each member account. Default `{}`."
  type = map(object({
    user_path_prefix = optional(string)
    user_tag = optional(object({
      key   = string
      value = optional(string)
    }))
    exclude_users = optional(set(string), [])
    role_name     = optional(string)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for id in keys(var.accounts) : can(regex("^[0-9]{12}$", id))])
    error_message = "Every key of accounts must be a 12-digit AWS account id."
  }

  validation {
    condition     = !contains(keys(var.accounts), data.aws_caller_identity.current.account_id)
    error_message = "accounts names the module's own account: select its users with the module's user_path_prefix, user_tag and exclude_users instead."
  }

  validation {
    condition = alltrue([for account in values(var.accounts) : account.user_path_prefix == null ? true : (
      can(regex(local.iam_path_pattern, account.user_path_prefix)) && !strcontains(account.user_path_prefix, "*") && !strcontains(account.user_path_prefix, "?")
    )])
    error_message = "Every user_path_prefix of accounts must be an IAM path (\"/\" or a string that starts and ends with \"/\" of printable ASCII, at most 512 long, such as \"/ci/\") without \"*\" or \"?\", which are wildcards in the member role's policy."
  }

  validation {
    condition = alltrue([for account in values(var.accounts) : account.user_tag == null ? true : (
      can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{1,128}$", account.user_tag.key)) && !startswith(lower(account.user_tag.key), "aws:")
      && (account.user_tag.value == null ? true : can(regex("^[\\p{L}\\p{Z}\\p{N}_.:/=+@-]{0,256}$", account.user_tag.value)))
    )])
    error_message = "Every user_tag of accounts must follow IAM's rules for tags: a key of 1 to 128 letters, digits, spaces and _.:/=+-@ not starting with \"aws:\", and a value of at most 256 of them (or null to match any value)."
  }

  validation {
    condition     = alltrue(flatten([for account in values(var.accounts) : [for name in account.exclude_users : can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", name))]]))
    error_message = "Every name in an account's exclude_users must be an IAM user name: 1 to 64 letters, digits and _+=,.@- ."
  }

  validation {
    condition     = alltrue([for account in values(var.accounts) : account.role_name == null ? true : can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", account.role_name))])
    error_message = "Every role_name of accounts must be an IAM role name (1 to 64 characters of letters, digits and _+=,.@-), not an ARN."
  }
}

variable "member_role_name" {
  description = "The role the functions assume in each member account (an account named by a user's `account_id` or in `accounts`), unless its entry in `accounts` names another. `modules/member-role` creates it. Default `credentials-rotator-member`."
  type        = string
  default     = "credentials-rotator-member"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_+=,.@-]{1,64}$", var.member_role_name))
    error_message = "The member role name must be an IAM role name (1 to 64 characters of letters, digits and _+=,.@-), not an ARN."
  }
}

variable "member_external_id" {
  description = "The external id the functions pass when they assume a member role, for member roles that require one (`external_id` of `modules/member-role`). Default `null`: none."
  type        = string
  default     = null

  validation {
    # RE2 repeats at most 1000 times: the length is checked on its own.
    condition = var.member_external_id == null ? true : (
      length(var.member_external_id) >= 2 && length(var.member_external_id) <= 1224 && can(regex("^[A-Za-z0-9_+=,.@:/-]+$", var.member_external_id))
    )
    error_message = "The member external id must be 2 to 1224 characters of letters, digits and _+=,.@:/- , as STS accepts it."
  }
}
