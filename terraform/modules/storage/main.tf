data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The deploying principal as an IAM ARN (the role behind an assumed-role session): the default
# bucket administrator, so that Terraform can still manage the policy it writes.
data "aws_iam_session_context" "current" {
  count = var.bucket_admin_principal_arns == null ? 1 : 0

  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id    = data.aws_caller_identity.current.account_id
  bucket_admins = var.bucket_admin_principal_arns == null ? [data.aws_iam_session_context.current[0].issuer_arn] : var.bucket_admin_principal_arns

  # Server access logs: to the given bucket, to a bucket of the module's own, or (with a reason) off.
  access_logging_enabled = var.access_logging_disabled_reason == null
  own_log_bucket         = local.access_logging_enabled && var.access_log_bucket == null
  log_target_bucket      = local.own_log_bucket ? aws_s3_bucket.access_logs[0].id : try(var.access_log_bucket.bucket, null)
  log_target_prefix      = coalesce(try(var.access_log_bucket.prefix, null), "s3-access/${var.bucket_name}/")

  # What changes the archive's guarantees: only the bucket administrators may do it.
  guarded_bucket_actions = [
    "s3:DeleteBucketPolicy",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutLifecycleConfiguration",
  ]
}

resource "aws_s3_bucket" "this" {
  bucket              = var.bucket_name
  object_lock_enabled = true
  force_destroy       = var.force_destroy
  tags                = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock_mode
      days = var.object_lock_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  count = var.lifecycle_enabled ? 1 : 0

  bucket = aws_s3_bucket.this.id
  # Without an explicit value the provider keeps polling until the service reports the default;
  # stating it keeps plans stable (and LocalStack applies fast).
  transition_default_minimum_object_size = var.lifecycle_rules.transition_default_minimum_object_size

  rule {
    id     = "archive-tiering-and-expiry"
    status = "Enabled"

    filter {}

    transition {
      days          = var.lifecycle_rules.infrequent_access_days
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = var.lifecycle_rules.archive_days
      storage_class = var.lifecycle_rules.archive_storage_class
    }

    expiration {
      days = var.lifecycle_rules.expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.lifecycle_rules.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.lifecycle_rules.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = local.access_logging_enabled ? 1 : 0

  bucket        = aws_s3_bucket.this.id
  target_bucket = local.log_target_bucket
  target_prefix = local.log_target_prefix

  lifecycle {
    precondition {
      condition     = var.access_logging_disabled_reason == null || var.access_log_bucket == null
      error_message = "access_log_bucket and access_logging_disabled_reason exclude each other."
    }
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # Object Lock, the policy itself, the lifecycle and governance bypass: bucket administrators only
  # (the break-glass principals; by default whoever deploys the stack, so Terraform can still
  # manage this policy). The account root can always delete a bucket policy; see the README.
  statement {
    sid       = "DenyWeakeningTheArchiveExceptAdministrators"
    effect    = "Deny"
    actions   = local.guarded_bucket_actions
    resources = [aws_s3_bucket.this.arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.bucket_admins
    }
  }

  statement {
    sid       = "DenyGovernanceBypassExceptAdministrators"
    effect    = "Deny"
    actions   = ["s3:BypassGovernanceRetention"]
    resources = ["${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "ArnNotLike"
      variable = "aws:PrincipalArn"
      values   = local.bucket_admins
    }
  }

  # Only the writers put objects, each under its own prefixes.
  dynamic "statement" {
    for_each = length(var.object_writers) > 0 ? [1] : []
    content {
      sid       = "DenyPutObjectExceptWriters"
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this.arn}/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "ArnNotEquals"
        variable = "aws:PrincipalArn"
        values   = [for w in values(var.object_writers) : w.role_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = var.object_writers
    content {
      sid           = "Deny${replace(title(replace(statement.key, "/[^a-zA-Z0-9]+/", " ")), " ", "")}PutObjectOutsideItsPrefixes"
      effect        = "Deny"
      actions       = ["s3:PutObject"]
      not_resources = [for prefix in statement.value.prefixes : "${aws_s3_bucket.this.arn}/${prefix}*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:PrincipalArn"
        values   = [statement.value.role_arn]
      }
    }
  }

  # With deny_unencrypted_uploads, uploads must use SSE-KMS (first statement) with this key
  # (second statement, when they name one).
  dynamic "statement" {
    for_each = var.deny_unencrypted_uploads ? [
      {
        sid      = "DenyUploadsWithoutSseKms"
        test     = "StringNotEquals"
        variable = "s3:x-amz-server-side-encryption"
        values   = ["aws:kms"]
      },
      {
        sid      = "DenyUploadsWithAnotherKmsKey"
        test     = "StringNotEqualsIfExists"
        variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
        values   = [var.kms_key_arn]
      },
    ] : []
    content {
      sid       = statement.value.sid
      effect    = "Deny"
      actions   = ["s3:PutObject"]
      resources = ["${aws_s3_bucket.this.arn}/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      condition {
        test     = statement.value.test
        variable = statement.value.variable
        values   = statement.value.values
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# S3 -> alerting function ------------------------------------------------------------------------

resource "aws_lambda_permission" "notification" {
  count = var.notification_function == null ? 0 : 1

  statement_id   = "AllowS3ObjectCreatedFromArchiveBucket"
  action         = "lambda:InvokeFunction"
  function_name  = var.notification_function.name
  principal      = "s3.amazonaws.com"
  source_arn     = aws_s3_bucket.this.arn
  source_account = data.aws_caller_identity.current.account_id
}

resource "aws_s3_bucket_notification" "this" {
  count = var.notification_function == null && !var.eventbridge_enabled ? 0 : 1

  bucket = aws_s3_bucket.this.id
  # Every ObjectCreated also goes to EventBridge, where several consumers (the digest ledger) can
  # match it; S3 itself allows one Lambda per overlapping prefix.
  eventbridge = var.eventbridge_enabled

  dynamic "lambda_function" {
    for_each = var.notification_function == null ? [] : [var.notification_function]
    content {
      lambda_function_arn = lambda_function.value.arn
      events              = ["s3:ObjectCreated:*"]
      filter_prefix       = lambda_function.value.filter_prefix
    }
  }

  depends_on = [aws_lambda_permission.notification]
}
