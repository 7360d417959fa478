output "object_created_rule_arn" {
  description = "ARN of the EventBridge rule that sends ObjectCreated to the function."
  value       = aws_cloudwatch_event_rule.object_created.arn
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge schedule that seals digests (null without a schedule)."
  value       = one(aws_cloudwatch_event_rule.schedule[*].arn)
}

output "schedule_expression" {
  description = "The schedule of the digests (null without a schedule)."
  value       = one(aws_cloudwatch_event_rule.schedule[*].schedule_expression)
}
