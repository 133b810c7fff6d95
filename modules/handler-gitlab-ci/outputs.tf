output "function_arn" {
  description = "ARN of the handler's Lambda function: give it to the rotator as `credentials_handler_arn`."
  value       = module.function.function_arn
}

output "function_name" {
  description = "Name of the handler's Lambda function."
  value       = module.function.function_name
}

output "role_name" {
  description = "Name of the handler's role: give it to the rotator as `credentials_handler_role_name`, which lets it read exactly the rotator's secrets."
  value       = module.function.role_name
}

output "role_arn" {
  description = "ARN of the handler's role."
  value       = module.function.role_arn
}

output "log_group_name" {
  description = "Name of the handler's log group."
  value       = module.function.log_group_name
}

output "users" {
  description = "The users the handler hands keys off for, by their names in the rotator (`targets`' keys): every user of the rotator should be one of them."
  value       = module.function.users
}
