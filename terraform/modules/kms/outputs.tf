output "key_arn" {
  description = "ARN of the key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "ID of the key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Full alias name (alias/...)."
  value       = aws_kms_alias.this.name
}

output "alias_arn" {
  description = "ARN of the alias."
  value       = aws_kms_alias.this.arn
}

output "mac_key_arn" {
  description = "ARN of the HMAC key (null unless mac_key_enabled)."
  value       = try(aws_kms_key.purpose["mac"].arn, null)
}

output "mac_key_id" {
  description = "ID of the HMAC key (null unless mac_key_enabled)."
  value       = try(aws_kms_key.purpose["mac"].key_id, null)
}

output "signing_key_arn" {
  description = "ARN of the digest signing key (null unless signing_key_enabled)."
  value       = try(aws_kms_key.purpose["signing"].arn, null)
}

output "signing_key_id" {
  description = "ID of the digest signing key (null unless signing_key_enabled)."
  value       = try(aws_kms_key.purpose["signing"].key_id, null)
}

output "export_signing_key_arn" {
  description = "ARN of the export manifest signing key (null unless export_signing_key_enabled)."
  value       = try(aws_kms_key.purpose["export-signing"].arn, null)
}

output "export_signing_key_id" {
  description = "ID of the export manifest signing key (null unless export_signing_key_enabled)."
  value       = try(aws_kms_key.purpose["export-signing"].key_id, null)
}
