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

output "access_log_bucket_name" {
  description = "Bucket receiving the archive's server access logs (the module's own or the given one), or null when logging is off."
  value       = local.log_target_bucket
}

output "bucket_admin_principal_arns" {
  description = "Principals allowed to change Object Lock, the bucket policy and the lifecycle, and to bypass GOVERNANCE retention."
  value       = local.bucket_admins
}

output "replication_role_arn" {
  description = "ARN of the replication role (null unless replication is set): it needs kms:Decrypt on the archive key through S3."
  value       = one(aws_iam_role.replication[*].arn)
}
