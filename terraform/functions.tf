# What each function of local.functions (main.tf) is configured with: its environment (the contract
# of docs/design.md, "Environment variables") and the least-privilege statements of its role. The
# function module adds logs (own log group), kms:Decrypt for the environment, X-Ray and the
# on-failure queue itself.

locals {
  allowed_initiator_codes = jsonencode(var.initiator_system_codes)
  api_clients             = jsonencode(module.api.api_clients)
  retention_days          = tostring(var.index_retention_days)
  # Built from the name rather than taken from module.delivery: the stream depends on the
  # transformation function, and every instance of module.function shares one policy input, so
  # the output would close a dependency cycle.
  bucket_arn          = "arn:${data.aws_partition.current.partition}:s3:::${local.names.bucket}"
  digest_interval     = tostring(var.digest_interval_minutes)
  delivery_stream_arn = "arn:${data.aws_partition.current.partition}:firehose:${data.aws_region.current.name}:${local.account_id}:deliverystream/${local.names.stream}"

  function_environment = {
    ingestion = {
      ALLOWED_INITIATOR_CODES = local.allowed_initiator_codes
      API_CLIENTS             = local.api_clients
      DELIVERY_STREAM_NAME    = local.names.stream
      INDEX_TABLE_NAME        = module.index.table_name
      INDEX_RETENTION_DAYS    = local.retention_days
      # A claim on a client eventid outlives any request that could still be delivering it.
      IDEMPOTENCY_CLAIM_SECONDS = tostring(var.function_settings.ingestion.timeout + 60)
      RECORD_MAC_KEY_ID         = module.kms.mac_key_arn
    }
    query = {
      API_CLIENTS          = local.api_clients
      INDEX_TABLE_NAME     = module.index.table_name
      INDEX_RETENTION_DAYS = local.retention_days
      CURSOR_KEY_ID        = module.kms.mac_key_arn
      CURSOR_TTL_SECONDS   = tostring(var.cursor_ttl_seconds)
      # GET /v1/events/{eventid}/proof
      ARCHIVE_BUCKET_NAME     = local.names.bucket
      LEDGER_TABLE_NAME       = module.ledger.table_name
      DIGEST_INTERVAL_MINUTES = local.digest_interval
    }
    digest = {
      ARCHIVE_BUCKET_NAME     = local.names.bucket
      ARCHIVE_KMS_KEY_ID      = module.kms.key_arn
      LEDGER_TABLE_NAME       = module.ledger.table_name
      DIGEST_SIGNING_KEY_ID   = module.kms.signing_key_arn
      DIGEST_INTERVAL_MINUTES = local.digest_interval
      # The seal lease outlives any running seal.
      SEAL_LEASE_SECONDS = tostring(var.function_settings.digest.timeout + 60)
    }
    transformation = {
      ALLOWED_INITIATOR_CODES = local.allowed_initiator_codes
      RECORD_MAC_KEY_ID       = module.kms.mac_key_arn
    }
    indexer = {
      ARCHIVE_BUCKET_NAME  = local.names.bucket
      INDEX_TABLE_NAME     = module.index.table_name
      INDEX_RETENTION_DAYS = local.retention_days
    }
    export = {
      API_CLIENTS               = local.api_clients
      INDEX_TABLE_NAME          = module.index.table_name
      INDEX_RETENTION_DAYS      = local.retention_days
      ARCHIVE_BUCKET_NAME       = local.names.bucket
      ARCHIVE_KMS_KEY_ID        = module.kms.key_arn
      EXPORT_SIGNING_KEY_ID     = module.kms.export_signing_key_arn
      EXPORT_URL_EXPIRY_SECONDS = tostring(var.export_url_expiry_seconds)
      # The worker runs once and is retried twice by asynchronous invocation; after that a pending
      # export is reported failed.
      EXPORT_DEADLINE_SECONDS = tostring(3 * var.function_settings.export.timeout + 120)
    }
    alerting = {
      INDEX_TABLE_NAME     = module.index.table_name
      INDEX_RETENTION_DAYS = local.retention_days
      ALERT_TOPIC_ARN      = module.alerting.topic_arn
      ALERT_RULES          = jsonencode(jsondecode(var.alert_rules))
    }
  }

  # Ingestion MACs its Firehose records with a key derived from the HMAC key; the transformation
  # derives the same key to tell them from a direct producer's (audit_shared/record_frames.py).
  derive_record_key = {
    sid       = "DeriveFirehoseRecordKey"
    actions   = ["kms:GenerateMac"]
    resources = [module.kms.mac_key_arn]
  }

  use_data_key = {
    sid       = "UseKeyForIndexArchiveAndTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.kms.key_arn]
  }

  function_policy_statements = {
    ingestion = [
      {
        sid       = "PutRecordsToDeliveryStream"
        actions   = ["firehose:PutRecordBatch"]
        resources = [local.delivery_stream_arn]
      },
      {
        # PutItem/DeleteItem: the claim on a client eventid and its release; GetItem: reading a
        # conflicting claim where the old item is not returned; BatchWriteItem: index items.
        sid       = "ClaimAndWriteIndex"
        actions   = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]
        resources = [module.index.table_arn]
      },
      local.derive_record_key,
      local.use_data_key,
    ]
    query = [
      {
        sid       = "ReadIndexItems"
        actions   = ["dynamodb:BatchGetItem", "dynamodb:GetItem"]
        resources = [module.index.table_arn]
      },
      {
        sid       = "QueryIndexes"
        actions   = ["dynamodb:Query"]
        resources = values(module.index.index_arns)
      },
      {
        sid       = "DecryptIndex"
        actions   = ["kms:Decrypt"]
        resources = [module.kms.key_arn]
      },
      {
        sid       = "DeriveCursorKey"
        actions   = ["kms:GenerateMac"]
        resources = [module.kms.mac_key_arn]
      },
      {
        # Proofs: find the event's object version and read the digest that sealed it.
        sid        = "ListArchivedVersions"
        actions    = ["s3:ListBucketVersions"]
        resources  = [local.bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["data/*"] }]
      },
      {
        sid       = "ReadArchiveForProofs"
        actions   = ["s3:GetObject", "s3:GetObjectVersion"]
        resources = ["${local.bucket_arn}/data/*", "${local.bucket_arn}/digests/*"]
      },
      {
        sid       = "ReadLedger"
        actions   = ["dynamodb:GetItem"]
        resources = [module.ledger.table_arn]
      },
    ]
    digest = [
      {
        sid       = "ReadArchivedObjects"
        actions   = ["s3:GetObject", "s3:GetObjectVersion"]
        resources = ["${local.bucket_arn}/data/*", "${local.bucket_arn}/errors/*", "${local.bucket_arn}/digests/*"]
      },
      {
        sid       = "WriteDigests"
        actions   = ["s3:PutObject"]
        resources = ["${local.bucket_arn}/digests/*"]
      },
      {
        sid       = "Ledger"
        actions   = ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = [module.ledger.table_arn]
      },
      {
        sid       = "ReadPendingVersions"
        actions   = ["dynamodb:Scan"]
        resources = [module.ledger.pending_index_arn]
      },
      {
        sid       = "SignDigests"
        actions   = ["kms:Sign"]
        resources = [module.kms.signing_key_arn]
      },
      local.use_data_key,
    ]
    transformation = [local.derive_record_key]
    indexer = [
      {
        sid       = "ReadArchivedEvents"
        actions   = ["s3:GetObject"]
        resources = ["${local.bucket_arn}/data/*"]
      },
      {
        # Conditional puts only (attribute_not_exists(event)): it fills gaps, never rewrites an event.
        sid       = "IndexArchivedEvents"
        actions   = ["dynamodb:PutItem"]
        resources = [module.index.table_arn]
      },
      local.use_data_key,
    ]
    export = [
      {
        # Its own export records only (pk export#<client>#<id>): never event items or claims.
        sid        = "ExportRecords"
        actions    = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources  = [module.index.table_arn]
        conditions = [{ test = "ForAllValues:StringLike", variable = "dynamodb:LeadingKeys", values = ["export#*"] }]
      },
      {
        # The partition walk: one level of data/ at a time.
        sid        = "ListArchivePartitions"
        actions    = ["s3:ListBucket"]
        resources  = [local.bucket_arn]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["data/*"] }]
      },
      {
        # Archived events, and the exports its pre-signed URLs hand out.
        sid       = "ReadArchiveAndExports"
        actions   = ["s3:GetObject"]
        resources = ["${local.bucket_arn}/data/*", "${local.bucket_arn}/exports/*"]
      },
      {
        sid       = "WriteExports"
        actions   = ["s3:AbortMultipartUpload", "s3:PutObject"]
        resources = ["${local.bucket_arn}/exports/*"]
      },
      {
        sid       = "SignManifests"
        actions   = ["kms:Sign"]
        resources = [module.kms.export_signing_key_arn]
      },
      {
        # POST /v1/exports starts the worker: this same function, asynchronously.
        sid       = "StartWorker"
        actions   = ["lambda:InvokeFunction"]
        resources = ["arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${local.account_id}:function:${local.function_names.export}"]
      },
      local.use_data_key,
    ]
    alerting = [
      {
        sid       = "ReadArchivedEvents"
        actions   = ["s3:GetObject"]
        resources = ["${module.storage.bucket_arn}/data/*"]
      },
      {
        sid       = "QueryIndex"
        actions   = ["dynamodb:Query"]
        resources = values(module.index.index_arns)
      },
      {
        # Its own dedupe items only (pk alert#...): it cannot overwrite event items or claims.
        sid        = "DedupeAlerts"
        actions    = ["dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources  = [module.index.table_arn]
        conditions = [{ test = "ForAllValues:StringLike", variable = "dynamodb:LeadingKeys", values = ["alert#*"] }]
      },
      {
        sid       = "PublishAlerts"
        actions   = ["sns:Publish"]
        resources = [module.alerting.topic_arn]
      },
      local.use_data_key,
    ]
  }
}
