data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  log_group_name  = "/aws/kinesisfirehose/${var.stream_name}"
  log_stream_name = "DestinationDelivery"
  # The static beginning of each prefix: data/initiatorsystemcode= and errors/ by default.
  object_arns = [for prefix in [var.prefix, var.error_output_prefix] : "${var.bucket_arn}/${split("!{", prefix)[0]}*"]
  processor_buffer_parameters = {
    BufferSizeInMBs         = tostring(var.processor_buffer_size)
    BufferIntervalInSeconds = tostring(var.processor_buffer_interval)
  }
  processor_buffer_defaults = {
    BufferSizeInMBs         = "1"
    BufferIntervalInSeconds = "60"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_stream" "this" {
  name           = local.log_stream_name
  log_group_name = aws_cloudwatch_log_group.this.name
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  name        = var.stream_name
  destination = "extended_s3"

  dynamic "server_side_encryption" {
    for_each = var.stream_encryption_enabled ? [var.kms_key_arn] : []
    content {
      enabled  = true
      key_type = "CUSTOMER_MANAGED_CMK"
      key_arn  = server_side_encryption.value
    }
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.this.arn
    bucket_arn          = var.bucket_arn
    kms_key_arn         = var.kms_key_arn
    prefix              = var.prefix
    error_output_prefix = var.error_output_prefix
    compression_format  = "GZIP"
    buffering_size      = var.buffering_size
    buffering_interval  = var.buffering_interval
    s3_backup_mode      = "Disabled"

    dynamic_partitioning_configuration {
      enabled        = true
      retry_duration = var.dynamic_partitioning_retry_duration
    }

    processing_configuration {
      enabled = true

      processors {
        type = "Lambda"

        parameters {
          parameter_name  = "LambdaArn"
          parameter_value = var.processor_function_arn
        }

        # Small processor batches keep the Lambda response far below the 6 MB payload limit. The
        # provider drops parameters equal to Firehose's defaults (1 MB, 60 s) when it reads the
        # stream, so only values that differ are sent; otherwise every plan would show a change.
        dynamic "parameters" {
          for_each = { for name, value in local.processor_buffer_parameters : name => value if value != local.processor_buffer_defaults[name] }
          content {
            parameter_name  = parameters.key
            parameter_value = parameters.value
          }
        }
      }
    }

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.this.name
      log_stream_name = aws_cloudwatch_log_stream.this.name
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}
