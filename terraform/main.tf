data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The principal applying Terraform as an IAM ARN (the role behind an assumed-role session).
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  account_id = data.aws_caller_identity.current.account_id

  names = {
    kms    = "${var.name_prefix}-audit"
    bucket = "${var.name_prefix}-archive-${local.account_id}"
    table  = "${var.name_prefix}-index"
    ledger = "${var.name_prefix}-ledger"
    stream = "${var.name_prefix}-events"
    topic  = "${var.name_prefix}-alerts"
    api    = "${var.name_prefix}-api"
  }

  # Relative package_dir values are relative to this configuration (path.root), so plans work
  # the same with `terraform -chdir=terraform` and from inside terraform/.
  package_dir = startswith(var.package_dir, "/") ? var.package_dir : "${path.root}/${var.package_dir}"

  # The functions, declared once. Each is functions/<key>/ packaged as <package_dir>/<key>.zip,
  # named <name_prefix>-<key>; its environment and IAM statements are in functions.tf.
  functions = {
    ingestion = {
      description = "Audit events API (POST): validates, claims, archives through Firehose and indexes events"
      service     = "audit-ingestion"
      on_failure  = false
    }
    query = {
      description = "Audit events API (GET): tenant-scoped look-ups and searches of the index"
      service     = "audit-query"
      on_failure  = false
    }
    transformation = {
      description = "Firehose processor: canonical NDJSON and dynamic partition keys"
      service     = "audit-transformation"
      on_failure  = false
    }
    alerting = {
      description = "S3 ObjectCreated handler: evaluates alert rules and publishes to SNS"
      service     = "audit-alerting"
      on_failure  = true # invoked asynchronously by S3: failures go to its own queue
    }
    digest = {
      description = "Digest chain: records archived objects in the ledger and seals them into signed Merkle digests"
      service     = "audit-digest"
      on_failure  = true # invoked asynchronously by EventBridge
    }
    indexer = {
      description = "Indexes archived events from S3 ObjectCreated (data/): failed index writes and direct producers' events"
      service     = "audit-indexer"
      on_failure  = true # invoked asynchronously by EventBridge
    }
    export = {
      description = "Audit events API (exports): records export requests and writes signed exports from the S3 archive"
      service     = "audit-export"
      on_failure  = true # the worker is invoked asynchronously by the function itself
    }
  }
  function_names = { for name, _ in local.functions : name => "${var.name_prefix}-${name}" }

  # Environment variables shared by every function (docs/design.md, "Environment variables").
  common_environment = {
    POWERTOOLS_METRICS_NAMESPACE = "AuditService"
    POWERTOOLS_LOG_LEVEL         = var.function_log_level
  }
  function_tracing_mode = var.tracing_enabled ? "Active" : "PassThrough"

  # Who deploys and administers the stack: the KMS key lets them have Lambda, DynamoDB and Firehose
  # create grants, and the archive lets only them change its guarantees (break glass).
  admin_principal_arns = coalesce(var.admin_principal_arns, [data.aws_iam_session_context.current.issuer_arn])

  # Through which services each role uses the data key (kms:ViaService); lambda: its environment.
  data_key_services = {
    ingestion      = { via_services = ["dynamodb", "lambda"], decrypt_only = false }
    query          = { via_services = ["dynamodb", "lambda", "s3"], decrypt_only = true }
    transformation = { via_services = ["lambda"], decrypt_only = true }
    alerting       = { via_services = ["dynamodb", "lambda", "s3", "sns", "sqs"], decrypt_only = false }
    digest         = { via_services = ["dynamodb", "lambda", "s3", "sqs"], decrypt_only = false }
    indexer        = { via_services = ["dynamodb", "lambda", "s3", "sqs"], decrypt_only = false }
    export         = { via_services = ["dynamodb", "lambda", "s3", "sqs"], decrypt_only = false }
  }
}

module "kms" {
  source = "./modules/kms"

  alias       = local.names.kms
  description = "Audit as a Service (${var.name_prefix}): archive, index, stream, topic, queues, logs"

  key_users = merge(
    # One static reference per role: module.function[<expression>] would depend on every output of
    # the module, and those depend on this key.
    {
      ingestion      = merge(local.data_key_services.ingestion, { role_arn = module.function["ingestion"].role_arn })
      query          = merge(local.data_key_services.query, { role_arn = module.function["query"].role_arn })
      transformation = merge(local.data_key_services.transformation, { role_arn = module.function["transformation"].role_arn })
      alerting       = merge(local.data_key_services.alerting, { role_arn = module.function["alerting"].role_arn })
      digest         = merge(local.data_key_services.digest, { role_arn = module.function["digest"].role_arn })
      indexer        = merge(local.data_key_services.indexer, { role_arn = module.function["indexer"].role_arn })
      export         = merge(local.data_key_services.export, { role_arn = module.function["export"].role_arn })
    },
    { firehose = { role_arn = module.delivery.role_arn, via_services = ["s3"], decrypt_only = false } },
    var.archive_replication == null ? {} : { replication = { role_arn = module.storage.replication_role_arn, via_services = ["s3"], decrypt_only = true } },
    # Report readers read the archive and write encrypted Athena results, both through S3.
    { for index, arn in(var.analytics_enabled ? var.analytics.reader_role_arns : []) : "analyst${index}" => { role_arn = arn, via_services = ["s3"], decrypt_only = false } },
  )
  deployer_arns = local.admin_principal_arns
  cloudwatch_logs_log_groups = [
    "/aws/lambda/${var.name_prefix}-*",
    "/aws/kinesisfirehose/${local.names.stream}",
    "/aws/apigateway/${local.names.api}/*",
  ]
  cloudwatch_alarm_names = ["${var.name_prefix}-*"]

  mac_key_enabled = true
  # query: cursor MACs; ingestion and transformation: Firehose record MACs. Each named literally: a
  # `for` over module.function would depend on all its outputs, the functions' environment among
  # them, which holds this key's ARN (a cycle).
  mac_key_users = [
    module.function["ingestion"].role_arn,
    module.function["query"].role_arn,
    module.function["transformation"].role_arn,
  ]

  signing_key_enabled = true
  signing_key_users   = [module.function["digest"].role_arn]

  # Export manifests are signed with their own key: the export role can never sign a digest.
  export_signing_key_enabled = true
  export_signing_key_users   = [module.function["export"].role_arn]
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
  access_log_bucket              = var.access_log_bucket
  access_logging_disabled_reason = var.archive_access_logging_disabled_reason
  bucket_admin_principal_arns    = local.admin_principal_arns
  replication                    = var.archive_replication
  # Firehose delivers under data/ and errors/, the digest function writes digests/: nobody else puts.
  object_writers = {
    firehose = { role_arn = module.delivery.role_arn, prefixes = ["data/", "errors/"] }
    digest   = { role_arn = module.function["digest"].role_arn, prefixes = ["digests/"] }
    export   = { role_arn = module.function["export"].role_arn, prefixes = ["exports/"] }
  }
  eventbridge_enabled = true # the digest ledger records every ObjectCreated
  force_destroy       = var.archive_force_destroy
  notification_function = {
    arn           = module.function["alerting"].function_arn
    name          = module.function["alerting"].function_name
    filter_prefix = "data/"
  }
}

module "index" {
  source = "./modules/index"

  table_name          = local.names.table
  kms_key_arn         = module.kms.key_arn
  deletion_protection = var.deletion_protection
}

module "ledger" {
  source = "./modules/ledger"

  table_name          = local.names.ledger
  kms_key_arn         = module.kms.key_arn
  deletion_protection = var.deletion_protection
}

module "sealing" {
  source = "./modules/sealing"

  name_prefix      = var.name_prefix
  bucket_name      = local.names.bucket
  interval_minutes = var.digest_interval_minutes
  function_arn     = module.function["digest"].function_arn
  function_name    = module.function["digest"].function_name
}

# Every object Firehose archives under data/ is indexed from the archive as well: what ingestion
# could not index, and the events of direct producers, which ingestion never sees.
module "indexing" {
  source = "./modules/sealing"

  name_prefix      = var.name_prefix
  rule_name        = "${var.name_prefix}-archive-data-created"
  purpose          = "index its events"
  target_id        = "indexer-function"
  bucket_name      = local.names.bucket
  prefixes         = ["data/"]
  schedule_enabled = false
  function_arn     = module.function["indexer"].function_arn
  function_name    = module.function["indexer"].function_name
}

data "aws_kms_public_key" "digest" {
  key_id = module.kms.signing_key_id
}

data "aws_kms_public_key" "export" {
  key_id = module.kms.export_signing_key_id
}

module "delivery" {
  source = "./modules/delivery"

  stream_name            = local.names.stream
  bucket_arn             = module.storage.bucket_arn
  kms_key_arn            = module.kms.key_arn
  processor_function_arn = module.function["transformation"].function_arn
  buffering_size         = var.firehose_buffering.size_in_mb
  buffering_interval     = var.firehose_buffering.interval_in_seconds
  log_retention_days     = var.log_retention_days

  stream_encryption_enabled = var.firehose_stream_encryption_enabled
}

module "api" {
  source = "./modules/api"

  api_name         = local.names.api
  stage_name       = var.api_stage_name
  openapi_document = file("${path.module}/../docs/openapi.yaml")
  functions = {
    for name in ["ingestion", "query", "export"] : name => {
      function_name = module.function[name].function_name
      invoke_arn    = module.function[name].function_invoke_arn
    }
  }
  clients                        = var.clients
  throttling                     = var.api_throttling
  kms_key_arn                    = module.kms.key_arn
  log_retention_days             = var.log_retention_days
  xray_tracing_enabled           = var.tracing_enabled
  manage_account_cloudwatch_role = var.manage_api_gateway_account
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  function_name      = local.function_names[each.key]
  description        = each.value.description
  package_path       = "${local.package_dir}/${each.key}.zip"
  handler            = "${each.key}.handler.lambda_handler"
  architectures      = [var.lambda_architecture]
  memory_size        = var.function_settings[each.key].memory_size
  timeout            = var.function_settings[each.key].timeout
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  tracing_mode       = local.function_tracing_mode

  reserved_concurrent_executions = var.function_settings[each.key].reserved_concurrent_executions

  on_failure_queue_enabled = each.value.on_failure
  async_invoke_config = each.value.on_failure ? {
    maximum_retry_attempts       = 2
    maximum_event_age_in_seconds = 21600
  } : null

  environment_variables = merge(local.common_environment, { POWERTOOLS_SERVICE_NAME = each.value.service }, local.function_environment[each.key])
  policy_statements     = local.function_policy_statements[each.key]
}

moved {
  from = module.ingestion_function
  to   = module.function["ingestion"]
}

moved {
  from = module.transformation_function
  to   = module.function["transformation"]
}

moved {
  from = module.alerting_function
  to   = module.function["alerting"]
}

module "alerting" {
  source = "./modules/alerting"

  topic_name          = local.names.topic
  kms_key_arn         = module.kms.key_arn
  email_subscriptions = var.alert_email_subscriptions
  alarm_name_prefix   = var.name_prefix

  function_names                 = local.function_names
  alerting_function_name         = module.function["alerting"].function_name
  alerting_on_failure_queue_name = module.function["alerting"].on_failure_queue_name
  index_write_failures_service   = local.functions.ingestion.service
  metrics_namespace              = local.common_environment.POWERTOOLS_METRICS_NAMESPACE
  delivery_stream_name           = module.delivery.delivery_stream_name
  api = {
    name       = module.api.rest_api_name
    stage_name = module.api.stage_name
  }
}

module "analytics" {
  source = "./modules/analytics"
  count  = var.analytics_enabled ? 1 : 0

  database_name                  = "${replace(var.name_prefix, "-", "_")}_audit"
  archive_bucket_name            = module.storage.bucket_name
  initiator_codes                = var.initiator_system_codes
  years                          = var.analytics.years
  workgroup_name                 = "${var.name_prefix}-reports"
  bytes_scanned_cutoff_per_query = var.analytics.bytes_scanned_cutoff_per_query
  results_bucket_name            = "${var.name_prefix}-athena-results-${local.account_id}"
  results_retention_days         = var.analytics.results_retention_days
  kms_key_arn                    = module.kms.key_arn
  account_id                     = local.account_id
  access_log_bucket              = var.access_log_bucket
  force_destroy                  = var.archive_force_destroy
}
