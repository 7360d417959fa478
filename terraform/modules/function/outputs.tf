output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "function_invoke_arn" {
  description = "Invoke ARN of the function (for API Gateway integrations)."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_arn" {
  description = "ARN of the execution role."
  value       = aws_iam_role.this.arn
}

output "role_name" {
  description = "Name of the execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "on_failure_queue_arn" {
  description = "ARN of the on-failure SQS queue, or null."
  value       = one(aws_sqs_queue.on_failure[*].arn)
}

output "on_failure_queue_name" {
  description = "Name of the on-failure SQS queue, or null."
  value       = one(aws_sqs_queue.on_failure[*].name)
}
