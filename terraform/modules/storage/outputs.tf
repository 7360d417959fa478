output "bucket_name" {
  description = "Name of the archive bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the archive bucket."
  value       = aws_s3_bucket.this.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name of the archive bucket."
  value       = aws_s3_bucket.this.bucket_regional_domain_name
}

output "object_lock_mode" {
  description = "Default Object Lock retention mode applied to new objects."
  value       = aws_s3_bucket_object_lock_configuration.this.rule[0].default_retention[0].mode
}
