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
  value       = [for key in local.alarm_keys : aws_cloudwatch_metric_alarm.this[key].alarm_name]
}
