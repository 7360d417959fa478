# SNS topic (KMS, CloudWatch may publish) and alarms.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  topic_name          = "aaas-alerts"
  kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  alarm_name_prefix   = "aaas"
  email_subscriptions = ["secops@example.com"]
  function_names = {
    ingestion      = "aaas-ingestion"
    transformation = "aaas-transformation"
    alerting       = "aaas-alerting"
  }
  alerting_function_name         = "aaas-alerting"
  alerting_on_failure_queue_name = "aaas-alerting-on-failure"
  index_write_failures_service   = "audit-ingestion"
  delivery_stream_name           = "aaas-events"
  api                            = { name = "aaas-api", stage_name = "prod" }
}

run "topic_and_alarms" {
  command = plan

  module {
    source = "./modules/alerting"
  }

  assert {
    condition     = aws_sns_topic.this.kms_master_key_id == var.kms_key_arn
    error_message = "The alerts topic must be encrypted with the customer-managed key."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.topic.statement :
      s.effect == "Allow" && contains(s.actions, "sns:Publish") &&
      anytrue([for p in s.principals : p.type == "Service" && contains(p.identifiers, "cloudwatch.amazonaws.com")]) &&
      anytrue([for c in s.condition : c.variable == "aws:SourceAccount" && toset(c.values) == toset(["123456789012"])])
    ])
    error_message = "CloudWatch alarms of this account must be allowed to publish."
  }

  assert {
    condition     = aws_sns_topic_subscription.email["secops@example.com"].protocol == "email"
    error_message = "E-mail subscriptions must be created."
  }

  assert {
    condition = toset([for a in aws_cloudwatch_metric_alarm.this : "${a.dimensions.FunctionName}/${a.metric_name}" if contains(["Errors", "Throttles"], a.metric_name)]) == toset([
      "aaas-ingestion/Errors", "aaas-ingestion/Throttles",
      "aaas-transformation/Errors", "aaas-transformation/Throttles",
      "aaas-alerting/Errors", "aaas-alerting/Throttles",
    ])
    error_message = "Every function needs Errors and Throttles alarms."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.this["firehose-data-freshness"].metric_name == "DeliveryToS3.DataFreshness" &&
      aws_cloudwatch_metric_alarm.this["firehose-processing-failed"].metric_name == "ExecuteProcessing.Success" &&
      aws_cloudwatch_metric_alarm.this["firehose-delivery-to-s3-failed"].metric_name == "DeliveryToS3.Success" &&
      aws_cloudwatch_metric_alarm.this["api-5xx"].metric_name == "5XXError" &&
      aws_cloudwatch_metric_alarm.this["alerting-async-events-dropped"].metric_name == "AsyncEventsDropped" &&
      aws_cloudwatch_metric_alarm.this["alerting-on-failure-queue-not-empty"].dimensions.QueueName == "aaas-alerting-on-failure"
    )
    error_message = "Firehose, API and alerting-function alarms must exist."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.actions_enabled && contains(a.alarm_actions, aws_sns_topic.this.arn)])
    error_message = "Alarms must notify the alerts topic."
  }

  # Every alarm, field by field, and the order of the alarm_names output.
  assert {
    condition = output.alarm_names == [
      "aaas-alerting-errors", "aaas-alerting-throttles",
      "aaas-ingestion-errors", "aaas-ingestion-throttles",
      "aaas-transformation-errors", "aaas-transformation-throttles",
      "aaas-alerting-async-events-dropped", "aaas-alerting-on-failure-queue-not-empty",
      "aaas-index-write-failures",
      "aaas-firehose-data-freshness", "aaas-firehose-delivery-to-s3-failed",
      "aaas-firehose-processing-failed", "aaas-firehose-records-processing-failed",
      "aaas-api-5xx",
    ]
    error_message = "alarm_names must list every alarm, function alarms first."
  }

  assert {
    condition = {
      for k, a in aws_cloudwatch_metric_alarm.this :
      a.alarm_name => "${a.namespace} ${a.metric_name} ${jsonencode(a.dimensions)} ${a.statistic} ${a.comparison_operator} ${a.threshold} ${a.period}x${a.evaluation_periods} ${a.treat_missing_data}"
      } == {
      "aaas-alerting-errors"                     = "AWS/Lambda Errors {\"FunctionName\":\"aaas-alerting\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-alerting-throttles"                  = "AWS/Lambda Throttles {\"FunctionName\":\"aaas-alerting\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-ingestion-errors"                    = "AWS/Lambda Errors {\"FunctionName\":\"aaas-ingestion\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-ingestion-throttles"                 = "AWS/Lambda Throttles {\"FunctionName\":\"aaas-ingestion\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-transformation-errors"               = "AWS/Lambda Errors {\"FunctionName\":\"aaas-transformation\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-transformation-throttles"            = "AWS/Lambda Throttles {\"FunctionName\":\"aaas-transformation\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-alerting-async-events-dropped"       = "AWS/Lambda AsyncEventsDropped {\"FunctionName\":\"aaas-alerting\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-alerting-on-failure-queue-not-empty" = "AWS/SQS ApproximateNumberOfMessagesVisible {\"QueueName\":\"aaas-alerting-on-failure\"} Maximum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-index-write-failures"                = "AuditService IndexWriteFailures {\"service\":\"audit-ingestion\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-firehose-data-freshness"             = "AWS/Firehose DeliveryToS3.DataFreshness {\"DeliveryStreamName\":\"aaas-events\"} Maximum GreaterThanThreshold 900 300x1 notBreaching"
      "aaas-firehose-delivery-to-s3-failed"      = "AWS/Firehose DeliveryToS3.Success {\"DeliveryStreamName\":\"aaas-events\"} Minimum LessThanThreshold 1 300x1 notBreaching"
      "aaas-firehose-processing-failed"          = "AWS/Firehose ExecuteProcessing.Success {\"DeliveryStreamName\":\"aaas-events\"} Minimum LessThanThreshold 1 300x1 notBreaching"
      "aaas-firehose-records-processing-failed"  = "AWS/Firehose FailedProcessing.Records {\"DeliveryStreamName\":\"aaas-events\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
      "aaas-api-5xx"                             = "AWS/ApiGateway 5XXError {\"ApiName\":\"aaas-api\",\"Stage\":\"prod\"} Sum GreaterThanThreshold 0 300x1 notBreaching"
    }
    error_message = "Alarm metrics, dimensions, statistics, thresholds and comparisons changed."
  }
}

# Without the optional inputs only the function alarms exist.
run "function_alarms_only" {
  command = plan

  module {
    source = "./modules/alerting"
  }

  variables {
    alerting_function_name         = null
    alerting_on_failure_queue_name = null
    index_write_failures_service   = null
    delivery_stream_name           = null
    api                            = null
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 6 && length(output.alarm_names) == 6
    error_message = "Only the Errors and Throttles alarms of the three functions may exist."
  }
}

run "rejects_invalid_email" {
  command = plan

  module {
    source = "./modules/alerting"
  }

  variables {
    email_subscriptions = ["not-an-address"]
  }

  expect_failures = [var.email_subscriptions]
}
