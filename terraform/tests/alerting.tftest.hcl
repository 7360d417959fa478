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
    condition = toset([for a in aws_cloudwatch_metric_alarm.function : "${a.dimensions.FunctionName}/${a.metric_name}"]) == toset([
      "aaas-ingestion/Errors", "aaas-ingestion/Throttles",
      "aaas-transformation/Errors", "aaas-transformation/Throttles",
      "aaas-alerting/Errors", "aaas-alerting/Throttles",
    ])
    error_message = "Every function needs Errors and Throttles alarms."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.firehose_data_freshness[0].metric_name == "DeliveryToS3.DataFreshness" &&
      aws_cloudwatch_metric_alarm.firehose_processing_success[0].metric_name == "ExecuteProcessing.Success" &&
      aws_cloudwatch_metric_alarm.firehose_delivery_success[0].metric_name == "DeliveryToS3.Success" &&
      aws_cloudwatch_metric_alarm.api_5xx[0].metric_name == "5XXError" &&
      aws_cloudwatch_metric_alarm.alerting_async_events_dropped[0].metric_name == "AsyncEventsDropped" &&
      aws_cloudwatch_metric_alarm.alerting_on_failure_queue[0].dimensions.QueueName == "aaas-alerting-on-failure"
    )
    error_message = "Firehose, API and alerting-function alarms must exist."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.function : a.actions_enabled && contains(a.alarm_actions, aws_sns_topic.this.arn)])
    error_message = "Alarms must notify the alerts topic."
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
