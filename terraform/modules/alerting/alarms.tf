locals {
  alarm_actions = [aws_sns_topic.this.arn]

  # Every alarm of the module is one aws_cloudwatch_metric_alarm.this instance, keyed by the
  # alarm name without its prefix ("<alarm_name_prefix>-<key>"). The definitions below hold what
  # differs between alarms; period, evaluation, missing data, actions and tags are shared.

  # Errors and Throttles of every function, keyed "<function key>-errors" and "-throttles".
  function_alarms = merge([
    for key, name in var.function_names : {
      for metric, what in { Errors = "reported errors", Throttles = "was throttled" } :
      "${key}-${lower(metric)}" => {
        description         = "Lambda function ${name} ${what}."
        namespace           = "AWS/Lambda"
        metric_name         = metric
        dimensions          = { FunctionName = name }
        statistic           = "Sum"
        threshold           = 0
        comparison_operator = "GreaterThanThreshold"
      }
    }
  ]...)

  # Alarms of the optional inputs (each group only when its input is set), in output order.
  service_alarms = concat(
    # Alerting function: events it could not process even after the async retries.
    var.alerting_function_name == null ? [] : [{
      key                 = "alerting-async-events-dropped"
      description         = "The alerting function dropped asynchronous S3 events (no destination could take them)."
      namespace           = "AWS/Lambda"
      metric_name         = "AsyncEventsDropped"
      dimensions          = { FunctionName = var.alerting_function_name }
      statistic           = "Sum"
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }],
    var.alerting_on_failure_queue_name == null ? [] : [{
      key                 = "alerting-on-failure-queue-not-empty"
      description         = "S3 events the alerting function failed to handle are waiting in its on-failure queue."
      namespace           = "AWS/SQS"
      metric_name         = "ApproximateNumberOfMessagesVisible"
      dimensions          = { QueueName = var.alerting_on_failure_queue_name }
      statistic           = "Maximum"
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }],
    # Ingestion: events archived whose index items could not be written after retries. The indexer
    # function indexes them from the archive; the alarm says it had to (and to watch that it did).
    var.index_write_failures_service == null ? [] : [{
      key                 = "index-write-failures"
      description         = "Ingestion archived events it could not index (IndexWriteFailures); the indexer function indexes them from the archive."
      namespace           = var.metrics_namespace
      metric_name         = "IndexWriteFailures"
      dimensions          = { service = var.index_write_failures_service }
      statistic           = "Sum"
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }],
    var.delivery_stream_name == null ? [] : [
      {
        key                 = "firehose-data-freshness"
        description         = "The oldest record in ${var.delivery_stream_name} is older than ${var.firehose_data_freshness_threshold_seconds} s: delivery to S3 is falling behind."
        namespace           = "AWS/Firehose"
        metric_name         = "DeliveryToS3.DataFreshness"
        dimensions          = { DeliveryStreamName = var.delivery_stream_name }
        statistic           = "Maximum"
        threshold           = var.firehose_data_freshness_threshold_seconds
        comparison_operator = "GreaterThanThreshold"
      },
      {
        key                 = "firehose-delivery-to-s3-failed"
        description         = "Deliveries from ${var.delivery_stream_name} to S3 failed (DeliveryToS3.Success < 1)."
        namespace           = "AWS/Firehose"
        metric_name         = "DeliveryToS3.Success"
        dimensions          = { DeliveryStreamName = var.delivery_stream_name }
        statistic           = "Minimum"
        threshold           = 1
        comparison_operator = "LessThanThreshold"
      },
      {
        key                 = "firehose-processing-failed"
        description         = "The transformation Lambda of ${var.delivery_stream_name} failed (ExecuteProcessing.Success < 1)."
        namespace           = "AWS/Firehose"
        metric_name         = "ExecuteProcessing.Success"
        dimensions          = { DeliveryStreamName = var.delivery_stream_name }
        statistic           = "Minimum"
        threshold           = 1
        comparison_operator = "LessThanThreshold"
      },
      {
        key                 = "firehose-records-processing-failed"
        description         = "The transformation Lambda returned ProcessingFailed records for ${var.delivery_stream_name} (sent to the errors/ prefix)."
        namespace           = "AWS/Firehose"
        metric_name         = "FailedProcessing.Records"
        dimensions          = { DeliveryStreamName = var.delivery_stream_name }
        statistic           = "Sum"
        threshold           = 0
        comparison_operator = "GreaterThanThreshold"
      },
    ],
    var.api == null ? [] : [{
      key                 = "api-5xx"
      description         = "API ${var.api.name} (stage ${var.api.stage_name}) returned 5XX errors."
      namespace           = "AWS/ApiGateway"
      metric_name         = "5XXError"
      dimensions          = { ApiName = var.api.name, Stage = var.api.stage_name }
      statistic           = "Sum"
      threshold           = 0
      comparison_operator = "GreaterThanThreshold"
    }],
  )

  alarms = merge(local.function_alarms, { for a in local.service_alarms : a.key => a })

  # Order of the alarm_names output: function alarms by key, then the others as listed above.
  alarm_keys = concat(keys(local.function_alarms), [for a in local.service_alarms : a.key])
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.alarm_name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = "notBreaching"
  actions_enabled     = true
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Addresses of the alarms before they were data-driven: existing deployments keep their alarms.
moved {
  from = aws_cloudwatch_metric_alarm.function
  to   = aws_cloudwatch_metric_alarm.this
}

moved {
  from = aws_cloudwatch_metric_alarm.alerting_async_events_dropped[0]
  to   = aws_cloudwatch_metric_alarm.this["alerting-async-events-dropped"]
}

moved {
  from = aws_cloudwatch_metric_alarm.alerting_on_failure_queue[0]
  to   = aws_cloudwatch_metric_alarm.this["alerting-on-failure-queue-not-empty"]
}

moved {
  from = aws_cloudwatch_metric_alarm.firehose_data_freshness[0]
  to   = aws_cloudwatch_metric_alarm.this["firehose-data-freshness"]
}

moved {
  from = aws_cloudwatch_metric_alarm.firehose_delivery_success[0]
  to   = aws_cloudwatch_metric_alarm.this["firehose-delivery-to-s3-failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.firehose_processing_success[0]
  to   = aws_cloudwatch_metric_alarm.this["firehose-processing-failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.firehose_failed_processing_records[0]
  to   = aws_cloudwatch_metric_alarm.this["firehose-records-processing-failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_5xx[0]
  to   = aws_cloudwatch_metric_alarm.this["api-5xx"]
}
