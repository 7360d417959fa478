data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"

  via = { for s in ["dynamodb", "firehose", "lambda", "s3", "sns", "sqs"] : s => "${s}.${local.region}.amazonaws.com" }

  # What CloudWatch Logs needs to encrypt a log group: AWS documents exactly this set for the logs
  # service principal (Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe*), so it cannot be
  # narrowed further; the encryption context binds it to the listed log groups of this account.
  cloudwatch_logs_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
  ]
  log_group_arns = [for name in var.cloudwatch_logs_log_groups : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"]
  alarm_arns     = [for name in var.cloudwatch_alarm_names : "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${name}"]
}

data "aws_iam_policy_document" "administration" {
  # checkov:skip=CKV_AWS_111:A key policy statement, merged into both keys' policies: Resource "*" means "this key", and administration is the account's by design.
  # checkov:skip=CKV_AWS_356:A key policy statement: Resource "*" means "this key".
  # checkov:skip=CKV_AWS_109:A key policy statement: PutKeyPolicy on "this key" is the account's administration right, which KMS requires to keep the key manageable.
  # The account administers the key (no data-plane actions here: using the key for encryption
  # is only possible through the statements below).
  statement {
    sid    = "AccountAdministersKey"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RetireGrant",
      "kms:RevokeGrant",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["*"] # in a key policy "*" means "this key"
  }
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  # Data-plane use of the key, by the roles that need it, only through the services they use it
  # with (kms:ViaService): no account-wide grant, so an IAM policy allowing kms:Decrypt on "*"
  # (Admin, PowerUser) does not open the archive or the index. Decrypt reads, GenerateDataKey
  # writes (S3 objects, DynamoDB items, SNS messages, SQS messages); nothing calls Encrypt,
  # ReEncrypt* or GenerateDataKeyWithoutPlaintext.
  dynamic "statement" {
    for_each = var.key_users
    content {
      sid    = "${replace(title(replace(statement.key, "/[^a-zA-Z0-9]+/", " ")), " ", "")}UsesKeyThroughServices"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = [statement.value.role_arn]
      }
      actions   = statement.value.decrypt_only ? ["kms:Decrypt"] : ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"] # in a key policy "*" means "this key"
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [for s in statement.value.via_services : local.via[s]]
      }
    }
  }

  # The principals that deploy the stack: Lambda (environment variables), DynamoDB and Firehose
  # create grants on the key for the resources they manage, on their behalf; Lambda also
  # encrypts and decrypts environment variables for them (CreateFunction, GetFunction).
  dynamic "statement" {
    for_each = length(var.deployer_arns) > 0 ? [1] : []
    content {
      sid    = "DeployersCreateGrantsForPipelineResources"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = var.deployer_arns
      }
      actions   = ["kms:CreateGrant", "kms:DescribeKey"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via.dynamodb, local.via.firehose, local.via.lambda]
      }
      condition {
        test     = "Bool"
        variable = "kms:GrantIsForAWSResource"
        values   = ["true"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.deployer_arns) > 0 ? [1] : []
    content {
      sid    = "DeployersEncryptFunctionEnvironments"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = var.deployer_arns
      }
      actions   = ["kms:Decrypt", "kms:Encrypt"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.via.lambda]
      }
    }
  }

  dynamic "statement" {
    for_each = var.allow_cloudwatch_logs ? [1] : []
    content {
      sid    = "CloudWatchLogsEncryptsTheStacksLogGroups"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["logs.${local.region}.amazonaws.com"]
      }
      actions   = local.cloudwatch_logs_actions
      resources = ["*"]
      # CloudWatch Logs names the log group in the encryption context of every call; this is the
      # source condition AWS documents for it.
      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = local.log_group_arns
      }
    }
  }

  dynamic "statement" {
    for_each = var.allow_cloudwatch_alarms ? [1] : []
    content {
      sid    = "CloudWatchAlarmsPublishToEncryptedTopics"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = local.alarm_arns
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.this.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
