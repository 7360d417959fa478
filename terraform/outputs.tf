output "api_invoke_url" {
  description = "Invoke URL of the API stage (no trailing slash): <api_invoke_url>/v1/events and the other routes of docs/openapi.yaml."
  value       = module.api.invoke_url
}

output "api_keys" {
  description = "Map of client system name to the value of its current API key (send as x-api-key)."
  value       = module.api.api_key_values
  sensitive   = true
}

output "api_key_ids" {
  description = "Map of client system name to the API Gateway id of its current API key."
  value       = module.api.api_key_ids
}

output "api_keys_by_generation" {
  description = "Map of client system name to {key generation -> API key value} of its live keys: during a rotation, hand the next generation's value to the client."
  value       = module.api.api_key_generation_values
  sensitive   = true
}

output "api_key_ids_by_generation" {
  description = "Map of client system name to {key generation -> API key id} of its live keys."
  value       = module.api.api_key_generation_ids
}

output "api_clients" {
  description = "Map of API key id to {client, scopes, write, read}: what each key may post and read (the API_CLIENTS content)."
  value       = module.api.api_clients
}

output "api_local_url" {
  description = "The API through LocalStack's edge (<local_endpoint>/_aws/execute-api/<api id>/<stage>), when local_endpoint is set; null on AWS."
  value       = var.local_endpoint == null ? null : "${var.local_endpoint}/_aws/execute-api/${module.api.rest_api_id}/${module.api.stage_name}"
}

output "api_id" {
  description = "ID of the REST API."
  value       = module.api.rest_api_id
}

output "api_stage_name" {
  description = "Name of the API stage."
  value       = module.api.stage_name
}

output "archive_bucket_name" {
  description = "Name of the S3 archive bucket."
  value       = module.storage.bucket_name
}

output "archive_bucket_arn" {
  description = "ARN of the S3 archive bucket."
  value       = module.storage.bucket_arn
}

output "index_retention_days" {
  description = "Days an event stays in the index after receipt (the TTL ingestion, the indexer and make reindex write)."
  value       = var.index_retention_days
}

output "index_table_name" {
  description = "Name of the DynamoDB index table."
  value       = module.index.table_name
}

output "index_table_arn" {
  description = "ARN of the DynamoDB index table."
  value       = module.index.table_arn
}

output "delivery_stream_name" {
  description = "Name of the Firehose delivery stream."
  value       = module.delivery.delivery_stream_name
}

output "delivery_stream_arn" {
  description = "ARN of the Firehose delivery stream."
  value       = module.delivery.delivery_stream_arn
}

output "alerts_topic_arn" {
  description = "ARN of the SNS alerts topic."
  value       = module.alerting.topic_arn
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms."
  value       = module.alerting.alarm_names
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key."
  value       = module.kms.key_arn
}

output "function_names" {
  description = "Lambda function names by role (ingestion, query, transformation, alerting)."
  value       = { for name, f in module.function : name => f.function_name }
}

output "function_arns" {
  description = "Lambda function ARNs by role (ingestion, query, transformation, alerting)."
  value       = { for name, f in module.function : name => f.function_arn }
}

output "alerting_on_failure_queue_arn" {
  description = "ARN of the SQS queue that receives S3 events the alerting function failed to handle."
  value       = module.function["alerting"].on_failure_queue_arn
}

output "cursor_key_arn" {
  description = "ARN of the HMAC KMS key the query function derives its cursor key from."
  value       = module.kms.mac_key_arn
}

output "ledger_table_name" {
  description = "Name of the digest ledger table."
  value       = module.ledger.table_name
}

output "digest_signing_key_arn" {
  description = "ARN of the KMS key that signs the digests (auditors verify with its public key)."
  value       = module.kms.signing_key_arn
}

output "digest_public_key_pem" {
  description = "Public key of the digest signing key, PEM: what `verify.py --key` and `verify-event` check signatures with, offline."
  value       = data.aws_kms_public_key.digest.public_key_pem
}

output "export_signing_key_arn" {
  description = "ARN of the KMS key that signs export manifests."
  value       = module.kms.export_signing_key_arn
}

output "export_public_key_pem" {
  description = "Public key of the export signing key, PEM: what `verify.py verify-export --key` checks manifests with, offline."
  value       = data.aws_kms_public_key.export.public_key_pem
}

output "digest_schedule" {
  description = "EventBridge schedule of the digests."
  value       = module.sealing.schedule_expression
}

output "analytics" {
  description = "The Athena side (null unless analytics_enabled): Glue database and table, workgroup, results bucket, named query ids."
  value = var.analytics_enabled ? {
    database_name       = module.analytics[0].database_name
    table_name          = module.analytics[0].table_name
    workgroup_name      = module.analytics[0].workgroup_name
    results_bucket_name = module.analytics[0].results_bucket_name
    named_query_ids     = module.analytics[0].named_query_ids
  } : null
}
