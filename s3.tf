# The run-data bucket: what a run hands from one step to the next when it is too large for Step
# Functions' 256 KB payloads (docs/design.md, "Run data"). It holds user names, metadata, key and
# version ids and outcomes, never a secret value. Objects live under runs/<execution name>/ and
# expire after run_data_retention_days; last-summary.json is the last finished run's summary.

locals {
  # S3 bucket names are global, lowercase, at most 63 characters. The name is computed, not
  # generated at apply, so that every policy and the state machine definition are known at plan
  # time; account and region make it unique per deployment. A long module name is shortened and
  # keeps a hash of the full name.
  # S3 reserves the bucket names that start with "xn--", "sthree-" (which covers
  # "sthree-configurator") or "amzn-s3-demo-", and those that end with "-s3alias", "--ol-s3",
  # ".mrap", "--x-s3" or "--table-s3"; this name ends with "-runs", so only the prefixes matter.
  # "xn--" and "sthree-" at the start of the name lose a dash, as they always have. A label that
  # would still give a reserved name once "-<account>" follows it ("xn-", "sthree",
  # "amzn-s3-demo-keys") keeps only its letters and digits plus 8 hex digits of the name's hash, so
  # no dash is left where a reserved prefix needs one.
  run_data_name_label = replace(replace(replace(lower(var.name), "_", "-"), "/^xn--/", "xn-"), "/^sthree-/", "sthree")
  run_data_label = (
    can(regex("^(xn--|sthree-|amzn-s3-demo-)", "${local.run_data_name_label}-"))
    ? "${substr(replace(local.run_data_name_label, "-", ""), 0, 17)}${substr(sha256(var.name), 0, 8)}"
    : local.run_data_name_label
  )
  run_data_bucket_label = (
    length(local.run_data_label) <= 26 ? local.run_data_label
    : "${substr(local.run_data_label, 0, 17)}-${substr(sha256(var.name), 0, 8)}"
  )
  run_data_bucket      = "${local.run_data_bucket_label}-${local.account_id}-${local.region}-runs"
  run_data_bucket_arn  = "arn:${local.partition}:s3:::${local.run_data_bucket}"
  run_data_objects_arn = "${local.run_data_bucket_arn}/runs/*"
  # A copy of the last finished run's summary, outside runs/ so that it never expires.
  last_summary_key = "last-summary.json"
  last_summary_arn = "${local.run_data_bucket_arn}/${local.last_summary_key}"
  # S3 ARNs name no account: every S3 statement also requires the bucket to be this account's.
  same_account_bucket = { StringEquals = { "s3:ResourceAccount" = local.account_id } }
}

resource "aws_s3_bucket" "run_data" {
  bucket = local.run_data_bucket
  # Run data is disposable: `terraform destroy` removes it with the bucket.
  force_destroy = true
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "run_data" {
  bucket = aws_s3_bucket.run_data.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "run_data" {
  bucket = aws_s3_bucket.run_data.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "run_data" {
  bucket = aws_s3_bucket.run_data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "run_data" {
  bucket = aws_s3_bucket.run_data.id

  rule {
    id     = "expire-run-data"
    status = "Enabled"

    filter {
      prefix = "runs/"
    }

    expiration {
      days = var.run_data_retention_days
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_bucket_policy" "run_data" {
  bucket = aws_s3_bucket.run_data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.run_data_bucket_arn, "${local.run_data_bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.run_data]
}
