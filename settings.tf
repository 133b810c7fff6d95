# The functions' settings: one JSON document, the same for every function, in the environment
# variable SETTINGS (lambda.tf); credentials_rotator.settings.config reads it into its Config, whose
# attributes carry these names. Every value that derives from the inputs is derived here, once,
# and the functions only read it. docs/design.md, "Settings", describes each.

locals {
  # Every account whose users the functions select, the module's own among them, each selected the
  # same way: users under a path prefix and with a tag, listed at each run, less excluded names. A
  # member account whose role is not member_role_name adds its role's ARN; the module's own account
  # has none, the functions act there with their own roles. A member account with none of these
  # (one of listed users, or of accounts only to grant its role) is left out of the document: its
  # role is member_role_arn's.
  account_inputs = merge(
    {
      for id, account in var.accounts : id => {
        user_path_prefix = account.user_path_prefix
        user_tag         = account.user_tag
        exclude_users    = sort(account.exclude_users)
        role_arn         = account.role_name == null ? null : local.member_role_arns[id]
      }
    },
    {
      (local.account_id) = {
        user_path_prefix = var.user_path_prefix
        user_tag         = var.user_tag
        exclude_users    = sort(var.exclude_users)
        role_arn         = null
      }
    },
  )

  # How plan lists an account's selected users (credentials_rotator.aws.user_listing), and so which
  # action its role needs (iam.tf, modules/member-role): ListUsers filters by path but returns no
  # tags; GetAccountAuthorizationDetails returns every user with its path and tags, in pages of up
  # to 1,000. null: the account selects no users, only those listed in users.
  user_listing = {
    for id, account in local.account_inputs : id => (
      account.user_tag != null ? "GetAccountAuthorizationDetails"
      : account.user_path_prefix != null ? "ListUsers" : null
    )
  }

  # Each account in the document, the keys without a value left out (Lambda's 4 KB), and the member
  # accounts without any.
  settings_account_entries = {
    for id, account in local.account_inputs : id => {
      for key, value in {
        role_arn         = account.role_arn
        user_path_prefix = account.user_path_prefix
        user_tag         = account.user_tag
        exclude_users    = length(account.exclude_users) == 0 ? null : account.exclude_users
        user_listing     = local.user_listing[id]
      } : key => value if value != null
    }
  }
  settings_accounts = {
    for id, entry in local.settings_account_entries : id => entry if length(entry) > 0 || id == local.account_id
  }

  settings = {
    rotator_name         = var.name
    users_parameter_name = local.users_parameter_name
    secret_name_prefix   = local.secret_name_prefix
    secret_kms_key_id    = var.kms_key_arn
    secret_tags          = var.tags
    state_machine_arn    = local.state_machine_arn
    run_data_bucket      = local.run_data_bucket
    batch_size           = local.batch_size
    max_concurrency      = var.max_concurrency
    old_key_action       = var.old_key_action
    max_key_age_days     = var.max_key_age_days
    # null: new keys are handed off unchecked (credentials_rotator.aws.verification).
    verify_new_key_seconds = var.verify_new_key ? var.verify_new_key_timeout_seconds : null
    in_use_key_action      = var.in_use_key_action
    max_deferrals          = var.max_deferrals
    # The time a consumer is given to move, and how long IAM may take to publish a key's use: its
    # uses in the grace wait are judged once that old.
    grace_wait_seconds     = var.cleanup_wait_seconds
    last_use_delay_seconds = var.last_use_delay_seconds
    # Whether a later run judges the previous keys: with a delay, and unless they are retired
    # whatever their use, finish always comes sooner than the delay, so it leaves each previous key
    # Active for the first run after, and this run waits no grace wait (state_machine.tf).
    previous_keys_judged_later = var.in_use_key_action != "retire" && var.last_use_delay_seconds > 0
    event_bus_name             = var.event_bus_name
    event_source               = local.event_source
    metrics_namespace          = local.metrics_namespace
    # The role the functions assume in a member account whose entry names none: its ARN with
    # "{account_id}" for the account's id (accounts.tf).
    member_role_arn_template = format(local.role_arn_format, "{account_id}", var.member_role_name)
    member_external_id       = var.member_external_id
    accounts                 = local.settings_accounts
  }
}
