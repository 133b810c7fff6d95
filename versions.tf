terraform {
  # 1.9: input validations that compare one input with another (for example the cleanup wait with
  # the schedule's rate).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.76: python3.13 among the Lambda runtimes the provider accepts (the default runtime).
      version = ">= 5.76"
    }
  }
}
