data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "FirehoseAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.stream_name}-firehose"
  description          = "Delivery role of the ${var.stream_name} Firehose stream"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.role_permissions_boundary
  tags                 = var.tags
}

data "aws_iam_policy_document" "this" {
  statement {
    sid    = "ArchiveBucket"
    effect = "Allow"
    actions = [
      "s3:GetBucketLocation",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [var.bucket_arn]
  }

  # Only under the delivery prefix and the error prefix (their static parts, before the first
  # !{...} expression): Firehose cannot write digests or anything else in the archive.
  statement {
    sid    = "ArchiveObjects"
    effect = "Allow"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = local.object_arns
  }

  statement {
    sid       = "EncryptArchiveObjects"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.name}.amazonaws.com"]
    }
  }

  statement {
    sid    = "InvokeProcessor"
    effect = "Allow"
    actions = [
      "lambda:GetFunctionConfiguration",
      "lambda:InvokeFunction",
    ]
    resources = [var.processor_function_arn, "${var.processor_function_arn}:*"]
  }

  statement {
    sid       = "WriteDeliveryLogs"
    effect    = "Allow"
    actions   = ["logs:PutLogEvents"]
    resources = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}:log-stream:${local.log_stream_name}"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.stream_name}-firehose-delivery"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
