# Firehose: processor, dynamic partitioning, design prefixes, KMS, logging, role.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  stream_name            = "aaas-events"
  bucket_arn             = "arn:aws:s3:::aaas-archive-123456789012"
  kms_key_arn            = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  processor_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:aaas-transformation"
}

run "design_stream" {
  command = plan

  module {
    source = "./modules/delivery"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.destination == "extended_s3"
    error_message = "The destination must be extended_s3."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this.server_side_encryption[0].enabled &&
      aws_kinesis_firehose_delivery_stream.this.server_side_encryption[0].key_type == "CUSTOMER_MANAGED_CMK" &&
      aws_kinesis_firehose_delivery_stream.this.server_side_encryption[0].key_arn == var.kms_key_arn &&
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].kms_key_arn == var.kms_key_arn
    )
    error_message = "The stream and its S3 objects must be encrypted with the customer-managed key."
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].prefix == "data/initiatorsystemcode=!{partitionKeyFromLambda:initiatorsystemcode}/eventtype=!{partitionKeyFromLambda:eventtype}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/"
    error_message = "prefix must be exactly the docs/design.md prefix."
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].error_output_prefix == "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    error_message = "error_output_prefix must be exactly the docs/design.md error prefix."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].dynamic_partitioning_configuration[0].enabled &&
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].buffering_size >= 64 &&
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].compression_format == "GZIP"
    )
    error_message = "Dynamic partitioning must be on (buffering >= 64 MiB) and output GZIP."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].processing_configuration[0].enabled &&
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].processing_configuration[0].processors[0].type == "Lambda" &&
      { for p in aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].processing_configuration[0].processors[0].parameters : p.parameter_name => p.parameter_value } == {
        LambdaArn = var.processor_function_arn
      }
    )
    error_message = "The transformation Lambda must be the processor, with Firehose's default 1 MB / 60 s buffer left implicit."
  }

  assert {
    condition = (
      aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].cloudwatch_logging_options[0].enabled &&
      aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn
    )
    error_message = "Delivery errors must be logged to a KMS-encrypted log group."
  }

  assert {
    condition = alltrue([
      anytrue([for s in data.aws_iam_policy_document.this.statement : contains(s.actions, "lambda:InvokeFunction") && contains(s.resources, var.processor_function_arn)]),
      anytrue([for s in data.aws_iam_policy_document.this.statement : contains(s.actions, "s3:PutObject") && toset(s.resources) == toset(["${var.bucket_arn}/data/initiatorsystemcode=*", "${var.bucket_arn}/errors/*"])]),
      anytrue([for s in data.aws_iam_policy_document.this.statement : contains(s.actions, "kms:GenerateDataKey") && toset(s.resources) == toset([var.kms_key_arn])]),
      alltrue([for s in data.aws_iam_policy_document.this.statement : !contains(s.resources, "*") && !contains(s.actions, "*")]),
    ])
    error_message = "The delivery role must be scoped to the bucket's data/ and errors/ prefixes, the key and the processor, without wildcards."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.assume_role.statement :
      anytrue([for c in s.condition : c.variable == "aws:SourceAccount" && toset(c.values) == toset(["123456789012"])]) &&
      anytrue([for c in s.condition : c.variable == "sts:ExternalId"])
    ])
    error_message = "Only Firehose on behalf of this account may assume the delivery role."
  }
}

run "non_default_processor_buffer_is_sent" {
  command = plan

  module {
    source = "./modules/delivery"
  }

  variables {
    processor_buffer_size = 2
  }

  assert {
    condition = (
      { for p in aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].processing_configuration[0].processors[0].parameters : p.parameter_name => p.parameter_value } == {
        LambdaArn       = var.processor_function_arn
        BufferSizeInMBs = "2"
      }
    )
    error_message = "A processor buffer size other than Firehose's default must be sent as a parameter."
  }
}

run "rejects_buffer_below_dynamic_partitioning_minimum" {
  command = plan

  module {
    source = "./modules/delivery"
  }

  variables {
    buffering_size = 5
  }

  expect_failures = [var.buffering_size]
}
