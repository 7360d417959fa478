output "topic_arn" {
  description = "ARN of the alerts topic."
  value       = aws_sns_topic.this.arn
}

output "topic_name" {
  description = "Name of the alerts topic."
  value       = aws_sns_topic.this.name
}

output "alarm_names" {
  description = "Names of every CloudWatch alarm of the module."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.function : a.alarm_name],
    aws_cloudwatch_metric_alarm.alerting_async_events_dropped[*].alarm_name,
    aws_cloudwatch_metric_alarm.alerting_on_failure_queue[*].alarm_name,
    aws_cloudwatch_metric_alarm.firehose_data_freshness[*].alarm_name,
    aws_cloudwatch_metric_alarm.firehose_delivery_success[*].alarm_name,
    aws_cloudwatch_metric_alarm.firehose_processing_success[*].alarm_name,
    aws_cloudwatch_metric_alarm.firehose_failed_processing_records[*].alarm_name,
    aws_cloudwatch_metric_alarm.api_5xx[*].alarm_name,
  )
}
