# Whole-stack plan with a mocked AWS provider: wiring, outputs and root variable validation.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  package_dir = "tests/fixtures/packages"
}

run "production_defaults_plan" {
  command = plan

  assert {
    condition     = output.archive_bucket_name == "aaas-archive-123456789012"
    error_message = "The archive bucket name must be <name_prefix>-archive-<account id>."
  }

  assert {
    condition     = output.index_table_name == "aaas-index" && output.delivery_stream_name == "aaas-events"
    error_message = "Unexpected index table or delivery stream name."
  }

  assert {
    condition     = output.api_invoke_url == "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod" && !endswith(output.api_invoke_url, "/")
    error_message = "api_invoke_url must be the stage invoke URL without a trailing slash."
  }

  assert {
    condition     = length(output.api_clients) == 2 && toset(flatten([for c in values(output.api_clients) : c.write])) == toset(["CRM_WEB", "CRM_MBL", "ERP_WEB"])
    error_message = "api_clients must map each client key id to the initiator codes it may post."
  }

  assert {
    condition     = toset(keys(output.api_clients)) == toset(values(output.api_key_ids)) && alltrue([for c in values(output.api_clients) : jsonencode([c.scopes, c.read]) == jsonencode([["write"], []])])
    error_message = "api_clients must be keyed by API key id, and clients are write-only unless they ask for read."
  }

  assert {
    condition     = output.function_names == { ingestion = "aaas-ingestion", query = "aaas-query", transformation = "aaas-transformation", alerting = "aaas-alerting", digest = "aaas-digest", indexer = "aaas-indexer", export = "aaas-export" }
    error_message = "Unexpected function names."
  }

  assert {
    condition     = local.delivery_stream_arn == module.delivery.delivery_stream_arn
    error_message = "The delivery stream ARN built from its name must be the stream's ARN."
  }

  assert {
    condition     = module.api.operations["GET /v1/events"].function == "query" && module.api.operations["GET /v1/events/{eventid}"].function == "query" && module.api.operations["POST /v1/events"].function == "ingestion" && module.api.operations["POST /v1/events/batch"].function == "ingestion"
    error_message = "docs/openapi.yaml must route reads to the query function and writes to ingestion."
  }

  assert {
    condition     = output.api_local_url == null
    error_message = "api_local_url is only set for a local stack."
  }

  assert {
    condition     = output.digest_schedule == "rate(60 minutes)" && output.ledger_table_name == "aaas-ledger"
    error_message = "Digests are sealed hourly by default, with their own ledger table."
  }

  assert {
    condition     = module.storage.bucket_name == "aaas-archive-123456789012" && local.bucket_arn == module.storage.bucket_arn
    error_message = "The archive ARN built from its name (for the policies) must be the bucket's ARN."
  }

  assert {
    condition = alltrue([
      for name, statements in local.function_policy_statements : alltrue([
        for statement in statements : !contains(statement.actions, "kms:Sign") || (name == "digest" && statement.resources == [module.kms.signing_key_arn]) || (name == "export" && statement.resources == [module.kms.export_signing_key_arn])
      ])
    ])
    error_message = "Only the digest function signs (digests, with the signing key) and the export function (manifests, with its own key)."
  }

  assert {
    condition     = [for statement in local.function_policy_statements.export : statement.resources if contains(statement.actions, "s3:PutObject")] == [["arn:aws:s3:::aaas-archive-123456789012/exports/*"]]
    error_message = "The export function writes under exports/ only."
  }

  assert {
    condition     = local.function_environment.export.EXPORT_URL_EXPIRY_SECONDS == "3600"
    error_message = "Pre-signed export URLs expire after export_url_expiry_seconds (1 h by default)."
  }

  assert {
    condition     = [for statement in local.function_policy_statements.digest : statement.resources if contains(statement.actions, "s3:PutObject")] == [["arn:aws:s3:::aaas-archive-123456789012/digests/*"]]
    error_message = "The digest function writes under digests/ only."
  }

  assert {
    condition     = output.kms_key_arn == "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-4333-8444-555555555555"
    error_message = "kms_key_arn output must be the customer-managed key."
  }

  assert {
    condition     = length(output.alarm_names) == 22
    error_message = "Expected 22 alarms: Errors+Throttles x7 functions, async dropped, on-failure queue, index write failures, 4 Firehose, API 5XX (14+1+1+1+4+1)."
  }

  assert {
    condition     = length(module.analytics) == 0 && output.analytics == null
    error_message = "Analytics is opt-in (analytics_enabled = false by default)."
  }

  assert {
    condition     = output.alerting_on_failure_queue_arn != null
    error_message = "The alerting function must have an on-failure queue."
  }
}

run "security_properties" {
  command = plan

  assert {
    condition = alltrue([
      for statement in local.function_policy_statements.alerting :
      anytrue([for c in statement.conditions : c.test == "ForAllValues:StringLike" && c.variable == "dynamodb:LeadingKeys" && c.values == ["alert#*"]])
      if length(setintersection(statement.actions, ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"])) > 0
    ])
    error_message = "The alerting function may write only its alert# items (dynamodb:LeadingKeys)."
  }

  assert {
    condition     = toset(keys(local.data_key_services)) == toset(keys(local.functions))
    error_message = "Every function must be listed in local.data_key_services (its use of the data key)."
  }

  assert {
    condition     = toset(module.storage.bucket_admin_principal_arns) == toset(["arn:aws:iam::123456789012:user/terraform-test"])
    error_message = "By default the deploying principal administers the archive (so Terraform keeps managing its policy)."
  }

  assert {
    condition     = module.storage.access_log_bucket_name != null
    error_message = "Server access logging of the archive is on by default."
  }
}

run "production_requires_compliance" {
  command = plan

  variables {
    environment      = "production"
    object_lock_mode = "GOVERNANCE"
  }

  expect_failures = [var.object_lock_mode]
}

run "governance_outside_production" {
  command = plan

  variables {
    environment      = "staging"
    object_lock_mode = "GOVERNANCE"
  }

  assert {
    condition     = module.storage.object_lock_mode == "GOVERNANCE"
    error_message = "GOVERNANCE is allowed outside production."
  }
}

run "local_environment_tfvars_plan" {
  command = plan

  variables {
    environment                = "local"
    name_prefix                = "aaas-local"
    object_lock_mode           = "GOVERNANCE"
    object_lock_retention_days = 1
    lifecycle_expiration_days  = 400
    archive_lifecycle_enabled  = false
    archive_force_destroy      = true
    deletion_protection        = false
    firehose_buffering         = { size_in_mb = 64, interval_in_seconds = 60 }
    log_retention_days         = 7
    tracing_enabled            = false
    index_retention_days       = 7
  }

  assert {
    condition     = output.archive_bucket_name == "aaas-local-archive-123456789012"
    error_message = "name_prefix must drive resource names."
  }
}

run "read_scopes_and_the_local_url" {
  command = plan

  variables {
    local_endpoint = "http://127.0.0.1:4566"
    clients = {
      crm     = { initiator_codes = ["CRM_WEB"], scopes = ["write", "read"] }
      auditor = { read_initiator_codes = ["CRM_WEB", "ERP_WEB"], scopes = ["read"] }
    }
  }

  assert {
    condition     = jsonencode({ for c in values(output.api_clients) : c.client => [c.scopes, c.write, c.read] }) == jsonencode({ crm = [["read", "write"], ["CRM_WEB"], ["CRM_WEB"]], auditor = [["read"], [], ["CRM_WEB", "ERP_WEB"]] })
    error_message = "A read+write client reads its own initiators; an auditor reads its read_initiator_codes and writes nothing."
  }

  assert {
    condition     = output.api_local_url == "http://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/prod"
    error_message = "api_local_url must be the API through LocalStack's edge."
  }
}

run "rejects_client_with_unknown_scope" {
  command = plan

  variables {
    clients = { crm = { initiator_codes = ["CRM_WEB"], scopes = ["admin"] } }
  }

  expect_failures = [var.clients]
}

run "rejects_read_client_without_initiators" {
  command = plan

  variables {
    clients = { auditor = { scopes = ["read"] } }
  }

  expect_failures = [var.clients]
}

run "rejects_unknown_object_lock_mode" {
  command = plan

  variables {
    object_lock_mode = "LEGAL_HOLD"
  }

  expect_failures = [var.object_lock_mode]
}

run "rejects_expiration_before_retention" {
  command = plan

  variables {
    object_lock_retention_days = 3650
    lifecycle_expiration_days  = 2557
  }

  expect_failures = [var.lifecycle_expiration_days]
}

run "rejects_archive_class" {
  command = plan

  variables {
    lifecycle_archive_storage_class = "STANDARD"
  }

  expect_failures = [var.lifecycle_archive_storage_class]
}

run "rejects_client_with_unknown_initiator_code" {
  command = plan

  variables {
    clients = {
      crm = { initiator_codes = ["CRM_WEB", "HR_WEB"] }
    }
  }

  expect_failures = [var.clients]
}

run "rejects_lower_case_initiator_codes" {
  command = plan

  variables {
    initiator_system_codes = ["crm_web"]
    clients                = { crm = { initiator_codes = ["crm_web"] } }
  }

  expect_failures = [var.initiator_system_codes]
}

run "rejects_empty_initiator_codes" {
  command = plan

  variables {
    initiator_system_codes = []
  }

  expect_failures = [var.initiator_system_codes]
}

run "rejects_empty_clients" {
  command = plan

  variables {
    clients = {}
  }

  expect_failures = [var.clients]
}

run "rejects_invalid_log_retention" {
  command = plan

  variables {
    log_retention_days = 42
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_alert_rules_that_are_not_json" {
  command = plan

  variables {
    alert_rules = "always_alert: [ACCOUNT_LOCKOUT]"
  }

  expect_failures = [var.alert_rules]
}

run "rejects_alert_rules_without_expected_keys" {
  command = plan

  variables {
    alert_rules = "{\"always_alert\": {\"event_types\": []}, \"thresholds\": []}"
  }

  expect_failures = [var.alert_rules]
}

run "rejects_small_firehose_buffer" {
  command = plan

  variables {
    firehose_buffering = { size_in_mb = 5 }
  }

  expect_failures = [var.firehose_buffering]
}

run "rejects_invalid_name_prefix" {
  command = plan

  variables {
    name_prefix = "Audit_Prod"
  }

  expect_failures = [var.name_prefix]
}

run "rejects_ingestion_timeout_above_api_gateway_limit" {
  command = plan

  variables {
    function_settings = { ingestion = { timeout = 60 } }
  }

  expect_failures = [var.function_settings]
}

run "indexer_from_the_archive" {
  command = plan

  assert {
    condition     = [for statement in local.function_policy_statements.indexer : statement.actions] == [["s3:GetObject"], ["dynamodb:PutItem"], ["kms:Decrypt", "kms:GenerateDataKey"]]
    error_message = "The indexer reads archived objects and puts index items, nothing else."
  }

  assert {
    condition     = [for statement in local.function_policy_statements.indexer : statement.resources] == [["arn:aws:s3:::aaas-archive-123456789012/data/*"], [module.index.table_arn], [module.kms.key_arn]]
    error_message = "The indexer reads only data/ of the archive and writes only the index table."
  }

  assert {
    condition     = local.data_key_services.indexer == { via_services = ["dynamodb", "lambda", "s3", "sqs"], decrypt_only = false }
    error_message = "The indexer uses the data key only through DynamoDB, Lambda, S3 and SQS (kms:ViaService)."
  }

  assert {
    condition     = module.indexing.schedule_expression == null && module.sealing.schedule_expression == "rate(60 minutes)"
    error_message = "The indexer has no schedule; the digest function keeps its own."
  }

  assert {
    condition     = local.function_environment.indexer == { ARCHIVE_BUCKET_NAME = "aaas-archive-123456789012", INDEX_TABLE_NAME = "aaas-index", INDEX_RETENTION_DAYS = "400" }
    error_message = "The indexer writes items with the index retention ingestion uses."
  }

  assert {
    condition     = contains(output.alarm_names, "aaas-index-write-failures") && contains(output.alarm_names, "aaas-indexer-errors")
    error_message = "IndexWriteFailures of ingestion and errors of the indexer are alarmed."
  }
}

run "api_key_rotation" {
  command = plan

  variables {
    clients = {
      crm = { initiator_codes = ["CRM_WEB", "CRM_MBL"], scopes = ["write", "read"], keys = { current = "2026-01", next = "2026-07" } }
      erp = { initiator_codes = ["ERP_WEB"] }
    }
  }

  assert {
    condition     = toset(keys(output.api_clients)) == toset(flatten([for keys in values(output.api_key_ids_by_generation) : values(keys)]))
    error_message = "API_CLIENTS holds every live key of every client."
  }

  assert {
    condition     = jsonencode([for id in values(output.api_key_ids_by_generation.crm) : output.api_clients[id]]) == jsonencode([for _ in range(2) : { client = "crm", read = ["CRM_WEB", "CRM_MBL"], scopes = ["read", "write"], write = ["CRM_WEB", "CRM_MBL"] }])
    error_message = "Both generations of crm's key are the same client, with the same scopes and initiators."
  }

  assert {
    condition     = keys(output.api_key_ids_by_generation.crm) == ["2026-01", "2026-07"] && keys(output.api_key_ids_by_generation.erp) == ["1"] && output.api_key_ids.crm == output.api_key_ids_by_generation.crm["2026-01"]
    error_message = "api_key_ids names the current key; api_key_ids_by_generation every live one."
  }
}
run "root_creates_it_only_when_enabled" {
  command = plan

  variables {
    analytics_enabled = true
    analytics         = { reader_role_arns = ["arn:aws:iam::123456789012:role/auditors"] }
  }

  assert {
    condition     = length(module.analytics) == 1 && output.analytics.workgroup_name == "aaas-reports" && output.analytics.database_name == "aaas_audit"
    error_message = "analytics_enabled creates the module."
  }

}

