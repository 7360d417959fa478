output "table_name" {
  description = "Name of the index table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "ARN of the index table."
  value       = aws_dynamodb_table.this.arn
}

output "index_arns" {
  description = "Map of GSI name to GSI ARN."
  value       = { for name in keys(local.global_secondary_indexes) : name => "${aws_dynamodb_table.this.arn}/index/${name}" }
}
