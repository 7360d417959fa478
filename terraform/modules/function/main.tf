data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_group_name = "/aws/lambda/${var.function_name}"
  log_group_arn  = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group_name}"

  package_exists = fileexists(var.package_path)
}

# The package is produced by `make package`. Planning without it (e.g. `terraform test` or a first
# `terraform validate`) only warns; apply fails in the provider if the zip is still missing.
check "package_exists" {
  assert {
    condition     = local.package_exists
    error_message = "Lambda package ${var.package_path} does not exist yet; run `make package` before apply."
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sqs_queue" "on_failure" {
  count = var.on_failure_queue_enabled ? 1 : 0

  name                              = "${var.function_name}-on-failure"
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600 # 14 days, the SQS maximum
  tags                              = var.tags
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_117:The functions only call regional AWS APIs (Firehose, DynamoDB, S3, SNS) over TLS with IAM; they reach no private resources, and a VPC would add NAT/endpoint cost without reducing exposure.
  # checkov:skip=CKV_AWS_272:Packages are built reproducibly by `make package` in CI and pinned by source_code_hash; AWS Signer profiles are not part of this delivery pipeline.
  # checkov:skip=CKV_AWS_116:Asynchronous failures go to the on-failure destination of aws_lambda_function_event_invoke_config (richer than a DLQ); the synchronously invoked functions (API Gateway, Firehose) are retried by their callers.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is optional (var.reserved_concurrent_executions); new accounts have a concurrency quota of 10 that cannot be partially reserved, so it cannot be forced in the module.
  function_name    = var.function_name
  description      = var.description
  role             = aws_iam_role.this.arn
  filename         = var.package_path
  source_code_hash = local.package_exists ? filebase64sha256(var.package_path) : null
  handler          = var.handler
  runtime          = var.runtime
  architectures    = var.architectures
  memory_size      = var.memory_size
  timeout          = var.timeout
  kms_key_arn      = var.kms_key_arn

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

resource "aws_lambda_function_event_invoke_config" "this" {
  count = var.async_invoke_config == null ? 0 : 1

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_invoke_config.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_invoke_config.maximum_event_age_in_seconds

  dynamic "destination_config" {
    for_each = var.on_failure_queue_enabled ? [1] : []
    content {
      on_failure {
        destination = aws_sqs_queue.on_failure[0].arn
      }
    }
  }
}
