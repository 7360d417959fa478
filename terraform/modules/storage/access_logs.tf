# The archive's S3 server access logs, when no existing bucket is given and logging is not switched
# off (access_logging_disabled_reason): a bucket of its own, written only by the S3 logging service
# for this archive. S3 delivers server access logs only to targets with SSE-S3 default encryption
# and without an Object Lock default retention, so this bucket has neither KMS nor a lock.

resource "aws_s3_bucket" "access_logs" {
  # checkov:skip=CKV_AWS_18:This is the access-log sink of the archive; logging it into itself would loop, and into another bucket would need a third.
  # checkov:skip=CKV_AWS_144:Access logs are operational evidence kept in-region for access_log_retention_days; the archive itself is what replication (var.replication) protects.
  # checkov:skip=CKV_AWS_145:S3 server access log delivery supports only SSE-S3 (AES256) default encryption on the target bucket, not SSE-KMS.
  # checkov:skip=CKV2_AWS_62:Nothing consumes the access logs as events; they are read on demand by investigators.
  # checkov:skip=CKV_AWS_143:S3 refuses to deliver server access logs to a bucket with an Object Lock default retention.
  count = local.own_log_bucket ? 1 : 0

  bucket        = "${var.bucket_name}-logs"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  count = local.own_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  count = local.own_log_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.access_logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "access_logs" {
  count = local.own_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  count = local.own_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = local.own_log_bucket && var.lifecycle_enabled ? 1 : 0

  bucket                                 = aws_s3_bucket.access_logs[0].id
  transition_default_minimum_object_size = var.lifecycle_rules.transition_default_minimum_object_size

  rule {
    id     = "access-log-expiry"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.lifecycle_rules.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  count = local.own_log_bucket ? 1 : 0

  statement {
    sid       = "S3LogsTheArchive"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs[0].arn}/${local.log_target_prefix}*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.this.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs[0].arn, "${aws_s3_bucket.access_logs[0].arn}/*"]
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
}

resource "aws_s3_bucket_policy" "access_logs" {
  count = local.own_log_bucket ? 1 : 0

  bucket = aws_s3_bucket.access_logs[0].id
  policy = data.aws_iam_policy_document.access_logs[0].json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
