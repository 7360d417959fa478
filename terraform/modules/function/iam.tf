data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    # Lambda does not set aws:SourceArn when it assumes an execution role, so the account is the
    # narrowest source condition it honours; the role is this function's alone (iam:PassRole).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = coalesce(var.role_name, "${var.function_name}-role")
  description          = "Execution role of the ${var.function_name} Lambda function"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.role_permissions_boundary
  tags                 = var.tags
}

data "aws_iam_policy_document" "this" {
  # Replaces AWSLambdaBasicExecutionRole: write only to the function's own log group.
  statement {
    sid       = "WriteOwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  # Environment variables are encrypted with the customer-managed key.
  statement {
    sid       = "DecryptEnvironment"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  dynamic "statement" {
    for_each = var.tracing_mode == "Active" ? [1] : []
    content {
      sid    = "WriteXRayTraces"
      effect = "Allow"
      # X-Ray trace ingestion has no resource-level permissions; "*" is the only valid resource.
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.on_failure_queue_enabled ? [1] : []
    content {
      sid       = "SendToOnFailureQueue"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.on_failure[0].arn]
    }
  }

  dynamic "statement" {
    for_each = var.on_failure_queue_enabled ? [1] : []
    content {
      sid       = "EncryptOnFailureMessages"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.policy_statements
    content {
      sid       = statement.value.sid
      effect    = "Allow"
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = statement.value.conditions
        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.function_name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
