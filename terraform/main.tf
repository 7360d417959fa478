data "aws_caller_identity" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id

  names = {
    kms            = "${var.name_prefix}-audit"
    bucket         = "${var.name_prefix}-archive-${local.account_id}"
    table          = "${var.name_prefix}-index"
    stream         = "${var.name_prefix}-events"
    topic          = "${var.name_prefix}-alerts"
    api            = "${var.name_prefix}-api"
    ingestion      = "${var.name_prefix}-ingestion"
    transformation = "${var.name_prefix}-transformation"
    alerting       = "${var.name_prefix}-alerting"
  }

  # Relative package_dir values are relative to this configuration (path.root), so plans work
  # the same with `terraform -chdir=terraform` and from inside terraform/.
  package_dir = startswith(var.package_dir, "/") ? var.package_dir : "${path.root}/${var.package_dir}"
  packages = {
    ingestion      = "${local.package_dir}/ingestion.zip"
    transformation = "${local.package_dir}/transformation.zip"
    alerting       = "${local.package_dir}/alerting.zip"
  }

  # Environment variables shared by every function (docs/design.md, "Environment variables").
  common_environment = {
    POWERTOOLS_METRICS_NAMESPACE = "AuditService"
    POWERTOOLS_LOG_LEVEL         = var.function_log_level
  }
  allowed_initiator_codes = jsonencode(var.initiator_system_codes)
  function_tracing_mode   = var.tracing_enabled ? "Active" : "PassThrough"
}

module "kms" {
  source = "./modules/kms"

  alias       = local.names.kms
  description = "Audit as a Service (${var.name_prefix}): archive, index, stream, topic, queues, logs"
}

module "storage" {
  source = "./modules/storage"

  bucket_name                = local.names.bucket
  kms_key_arn                = module.kms.key_arn
  object_lock_mode           = var.object_lock_mode
  object_lock_retention_days = var.object_lock_retention_days
  lifecycle_enabled          = var.archive_lifecycle_enabled
  lifecycle_rules = {
    infrequent_access_days             = var.lifecycle_infrequent_access_days
    archive_storage_class              = var.lifecycle_archive_storage_class
    archive_days                       = var.lifecycle_archive_days
    expiration_days                    = var.lifecycle_expiration_days
    noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  }
  access_log_bucket = var.access_log_bucket
  force_destroy     = var.archive_force_destroy
  notification_function = {
    arn           = module.alerting_function.function_arn
    name          = module.alerting_function.function_name
    filter_prefix = "data/"
  }
}

module "index" {
  source = "./modules/index"

  table_name          = local.names.table
  kms_key_arn         = module.kms.key_arn
  deletion_protection = var.deletion_protection
}

module "delivery" {
  source = "./modules/delivery"

  stream_name            = local.names.stream
  bucket_arn             = module.storage.bucket_arn
  kms_key_arn            = module.kms.key_arn
  processor_function_arn = module.transformation_function.function_arn
  buffering_size         = var.firehose_buffering.size_in_mb
  buffering_interval     = var.firehose_buffering.interval_in_seconds
  log_retention_days     = var.log_retention_days

  stream_encryption_enabled = var.firehose_stream_encryption_enabled
}

module "api" {
  source = "./modules/api"

  api_name                       = local.names.api
  stage_name                     = var.api_stage_name
  function_name                  = module.ingestion_function.function_name
  function_invoke_arn            = module.ingestion_function.function_invoke_arn
  clients                        = var.clients
  throttling                     = var.api_throttling
  kms_key_arn                    = module.kms.key_arn
  log_retention_days             = var.log_retention_days
  xray_tracing_enabled           = var.tracing_enabled
  manage_account_cloudwatch_role = var.manage_api_gateway_account
}

module "ingestion_function" {
  source = "./modules/function"

  function_name      = local.names.ingestion
  description        = "Audit events API: validates events, indexes them and forwards them to Firehose"
  package_path       = local.packages.ingestion
  handler            = "ingestion.handler.lambda_handler"
  memory_size        = var.function_settings.ingestion.memory_size
  timeout            = var.function_settings.ingestion.timeout
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  tracing_mode       = local.function_tracing_mode

  reserved_concurrent_executions = var.function_settings.ingestion.reserved_concurrent_executions

  environment_variables = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "audit-ingestion"
    ALLOWED_INITIATOR_CODES = local.allowed_initiator_codes
    API_KEY_INITIATORS      = jsonencode(module.api.api_key_initiators)
    DELIVERY_STREAM_NAME    = local.names.stream
    INDEX_TABLE_NAME        = module.index.table_name
    INDEX_RETENTION_DAYS    = tostring(var.index_retention_days)
  })

  policy_statements = local.ingestion_policy_statements
}

module "transformation_function" {
  source = "./modules/function"

  function_name      = local.names.transformation
  description        = "Firehose processor: canonical NDJSON and dynamic partition keys"
  package_path       = local.packages.transformation
  handler            = "transformation.handler.lambda_handler"
  memory_size        = var.function_settings.transformation.memory_size
  timeout            = var.function_settings.transformation.timeout
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  tracing_mode       = local.function_tracing_mode

  reserved_concurrent_executions = var.function_settings.transformation.reserved_concurrent_executions

  environment_variables = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "audit-transformation"
    ALLOWED_INITIATOR_CODES = local.allowed_initiator_codes
  })
}

module "alerting_function" {
  source = "./modules/function"

  function_name      = local.names.alerting
  description        = "S3 ObjectCreated handler: evaluates alert rules and publishes to SNS"
  package_path       = local.packages.alerting
  handler            = "alerting.handler.lambda_handler"
  memory_size        = var.function_settings.alerting.memory_size
  timeout            = var.function_settings.alerting.timeout
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  tracing_mode       = local.function_tracing_mode

  reserved_concurrent_executions = var.function_settings.alerting.reserved_concurrent_executions

  on_failure_queue_enabled = true
  async_invoke_config = {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 21600
  }

  environment_variables = merge(local.common_environment, {
    POWERTOOLS_SERVICE_NAME = "audit-alerting"
    INDEX_TABLE_NAME        = module.index.table_name
    INDEX_RETENTION_DAYS    = tostring(var.index_retention_days)
    ALERT_TOPIC_ARN         = module.alerting.topic_arn
    ALERT_RULES             = jsonencode(jsondecode(var.alert_rules))
  })

  policy_statements = local.alerting_policy_statements
}

module "alerting" {
  source = "./modules/alerting"

  topic_name          = local.names.topic
  kms_key_arn         = module.kms.key_arn
  email_subscriptions = var.alert_email_subscriptions
  alarm_name_prefix   = var.name_prefix

  function_names = {
    ingestion      = local.names.ingestion
    transformation = local.names.transformation
    alerting       = local.names.alerting
  }
  alerting_function_name         = module.alerting_function.function_name
  alerting_on_failure_queue_name = module.alerting_function.on_failure_queue_name
  delivery_stream_name           = module.delivery.delivery_stream_name
  api = {
    name       = module.api.rest_api_name
    stage_name = module.api.stage_name
  }
}
