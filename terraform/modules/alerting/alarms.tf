locals {
  alarm_actions = [aws_sns_topic.this.arn]

  function_alarms = merge([
    for key, name in var.function_names : {
      "${key}-errors" = {
        function_name = name
        metric_name   = "Errors"
        description   = "Lambda function ${name} reported errors."
      }
      "${key}-throttles" = {
        function_name = name
        metric_name   = "Throttles"
        description   = "Lambda function ${name} was throttled."
      }
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "function" {
  for_each = local.function_alarms

  alarm_name          = "${var.alarm_name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric_name
  dimensions          = { FunctionName = each.value.function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Alerting function: events it could not process even after the async retries.
resource "aws_cloudwatch_metric_alarm" "alerting_async_events_dropped" {
  count = var.alerting_function_name == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-alerting-async-events-dropped"
  alarm_description   = "The alerting function dropped asynchronous S3 events (no destination could take them)."
  namespace           = "AWS/Lambda"
  metric_name         = "AsyncEventsDropped"
  dimensions          = { FunctionName = var.alerting_function_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "alerting_on_failure_queue" {
  count = var.alerting_on_failure_queue_name == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-alerting-on-failure-queue-not-empty"
  alarm_description   = "S3 events the alerting function failed to handle are waiting in its on-failure queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = var.alerting_on_failure_queue_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Firehose --------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "firehose_data_freshness" {
  count = var.delivery_stream_name == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-firehose-data-freshness"
  alarm_description   = "The oldest record in ${var.delivery_stream_name} is older than ${var.firehose_data_freshness_threshold_seconds} s: delivery to S3 is falling behind."
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.DataFreshness"
  dimensions          = { DeliveryStreamName = var.delivery_stream_name }
  statistic           = "Maximum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = var.firehose_data_freshness_threshold_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "firehose_delivery_success" {
  count = var.delivery_stream_name == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-firehose-delivery-to-s3-failed"
  alarm_description   = "Deliveries from ${var.delivery_stream_name} to S3 failed (DeliveryToS3.Success < 1)."
  namespace           = "AWS/Firehose"
  metric_name         = "DeliveryToS3.Success"
  dimensions          = { DeliveryStreamName = var.delivery_stream_name }
  statistic           = "Minimum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "firehose_processing_success" {
  count = var.delivery_stream_name == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-firehose-processing-failed"
  alarm_description   = "The transformation Lambda of ${var.delivery_stream_name} failed (ExecuteProcessing.Success < 1)."
  namespace           = "AWS/Firehose"
  metric_name         = "ExecuteProcessing.Success"
  dimensions          = { DeliveryStreamName = var.delivery_stream_name }
  statistic           = "Minimum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "firehose_failed_processing_records" {
  count = var.delivery_stream_name == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-firehose-records-processing-failed"
  alarm_description   = "The transformation Lambda returned ProcessingFailed records for ${var.delivery_stream_name} (sent to the errors/ prefix)."
  namespace           = "AWS/Firehose"
  metric_name         = "FailedProcessing.Records"
  dimensions          = { DeliveryStreamName = var.delivery_stream_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# API Gateway -----------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  count = var.api == null ? 0 : 1

  alarm_name          = "${var.alarm_name_prefix}-api-5xx"
  alarm_description   = "API ${var.api.name} (stage ${var.api.stage_name}) returned 5XX errors."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = var.api.name, Stage = var.api.stage_name }
  statistic           = "Sum"
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
