# One rotator in the hub account rotates the keys of users in the hub and in a member account;
# every new key is handed to the handler in the hub. The member account gets only the role the
# hub's functions assume there, created through the `aws.member` provider. The hub never reads the
# member module, so there is no cycle: Terraform creates the hub's roles, then the member role
# that trusts them.

module "hub" {
  source = "../.."

  name = var.name
  users = concat(
    [for username in var.hub_usernames : { username = username, account_id = null }],
    [for username in var.member_usernames : { username = username, account_id = var.member_account_id }],
  )
  credentials_handler_arn       = var.credentials_handler_arn
  credentials_handler_role_name = var.credentials_handler_role_name

  # The member account's users are selected the same way on both sides: the hub lists and selects
  # them, the member role allows exactly these users.
  accounts = {
    (var.member_account_id) = { user_path_prefix = var.member_user_path_prefix }
  }
  member_role_name   = var.member_role_name
  member_external_id = var.member_external_id

  tags = var.tags
}

module "member_role" {
  source = "../../modules/member-role"
  providers = {
    aws = aws.member
  }

  hub_role_arns    = module.hub.function_role_arns
  role_name        = var.member_role_name
  external_id      = var.member_external_id
  organization_id  = var.organization_id
  usernames        = var.member_usernames
  user_path_prefix = var.member_user_path_prefix
  tags             = var.tags
}
