output "api_invoke_url" {
  description = "Invoke URL of the API stage (no trailing slash); POST events to <api_invoke_url>/v1/events and <api_invoke_url>/v1/events/batch."
  value       = module.api.invoke_url
}

output "api_keys" {
  description = "Map of client system name to API key value (send as x-api-key)."
  value       = module.api.api_key_values
  sensitive   = true
}

output "api_key_ids" {
  description = "Map of client system name to API Gateway API key id."
  value       = module.api.api_key_ids
}

output "api_key_initiators" {
  description = "Map of API key id to allowed initiator codes, as passed to the ingestion function in API_KEY_INITIATORS (JSON)."
  value       = module.api.api_key_initiators
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
  description = "Lambda function names by role (ingestion, transformation, alerting)."
  value = {
    ingestion      = module.ingestion_function.function_name
    transformation = module.transformation_function.function_name
    alerting       = module.alerting_function.function_name
  }
}

output "function_arns" {
  description = "Lambda function ARNs by role (ingestion, transformation, alerting)."
  value = {
    ingestion      = module.ingestion_function.function_arn
    transformation = module.transformation_function.function_arn
    alerting       = module.alerting_function.function_arn
  }
}

output "alerting_on_failure_queue_arn" {
  description = "ARN of the SQS queue that receives S3 events the alerting function failed to handle."
  value       = module.alerting_function.on_failure_queue_arn
}
