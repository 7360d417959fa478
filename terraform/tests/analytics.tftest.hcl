# Analytics: a Glue table with partition projection over the archive, an Athena workgroup with
# KMS-encrypted results and a scan limit, the standard reports as named queries.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  database_name       = "aaas_audit"
  archive_bucket_name = "aaas-archive-123456789012"
  initiator_codes     = ["CRM_WEB", "CRM_MBL", "ERP_WEB"]
  workgroup_name      = "aaas-reports"
  results_bucket_name = "aaas-athena-results-123456789012"
  kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  account_id          = "123456789012"
}

run "projected_table_and_encrypted_workgroup" {
  command = plan

  module {
    source = "./modules/analytics"
  }

  assert {
    condition = {
      for name, value in aws_glue_catalog_table.this.parameters : name => value if startswith(name, "projection.") && name != "projection.eventtype.values"
      } == {
      "projection.enabled"                    = "true"
      "projection.initiatorsystemcode.type"   = "enum"
      "projection.initiatorsystemcode.values" = "CRM_WEB,CRM_MBL,ERP_WEB"
      "projection.eventtype.type"             = "enum"
      "projection.year.type"                  = "integer"
      "projection.year.range"                 = "2024,2040"
      "projection.month.type"                 = "integer"
      "projection.month.range"                = "1,12"
      "projection.month.digits"               = "2"
      "projection.day.type"                   = "integer"
      "projection.day.range"                  = "1,31"
      "projection.day.digits"                 = "2"
    }
    error_message = "initiatorsystemcode and eventtype are enum projections; year, month and day integer projections, month and day zero-padded like the Firehose prefixes."
  }

  assert {
    condition     = split(",", aws_glue_catalog_table.this.parameters["projection.eventtype.values"]) == tolist(jsondecode(file("../functions/audit_shared/schemas/audit-event.v1.json")).definitions.eventtype.enum)
    error_message = "The eventtype enum must be the schema's event types."
  }

  assert {
    condition     = aws_glue_catalog_table.this.parameters["storage.location.template"] == "s3://aaas-archive-123456789012/data/initiatorsystemcode=$${initiatorsystemcode}/eventtype=$${eventtype}/year=$${year}/month=$${month}/day=$${day}/"
    error_message = "The path template must be the delivery stream's prefix (modules/delivery, audit_shared.partitions)."
  }

  assert {
    condition     = [for key in aws_glue_catalog_table.this.partition_keys : key.name] == ["initiatorsystemcode", "eventtype", "year", "month", "day"] && alltrue([for key in aws_glue_catalog_table.this.partition_keys : key.type == "string"])
    error_message = "The partition keys are the prefix's fields, in its order, as strings."
  }

  assert {
    condition     = aws_glue_catalog_table.this.storage_descriptor[0].ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe" && aws_glue_catalog_table.this.storage_descriptor[0].location == "s3://aaas-archive-123456789012/data/"
    error_message = "The table reads data/ with the OpenX JSON SerDe."
  }

  assert {
    condition     = [for column in aws_glue_catalog_table.this.storage_descriptor[0].columns : column.name] == [for column in jsondecode(file("./modules/analytics/archive_table.json")).columns : column.name] && contains([for column in aws_glue_catalog_table.this.storage_descriptor[0].columns : "${column.name} ${column.type}"], "timestamp bigint")
    error_message = "The columns are the generated ones (from the event schema)."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_KMS" && aws_athena_workgroup.this.configuration[0].result_configuration[0].encryption_configuration[0].kms_key_arn == var.kms_key_arn
    error_message = "Query results must be encrypted with the KMS key."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].enforce_workgroup_configuration == true && aws_athena_workgroup.this.configuration[0].bytes_scanned_cutoff_per_query == 107374182400
    error_message = "The workgroup enforces its configuration and caps each query at 100 GiB scanned by default."
  }

  assert {
    condition     = aws_athena_workgroup.this.configuration[0].result_configuration[0].output_location == "s3://aaas-athena-results-123456789012/results/"
    error_message = "Results go to their own bucket and prefix."
  }

  assert {
    condition     = [for rule in aws_s3_bucket_server_side_encryption_configuration.results.rule : [rule.apply_server_side_encryption_by_default[0].sse_algorithm, rule.apply_server_side_encryption_by_default[0].kms_master_key_id]] == [["aws:kms", var.kms_key_arn]]
    error_message = "The results bucket encrypts with the KMS key by default."
  }

  assert {
    condition     = toset(keys(aws_athena_named_query.this)) == toset(["document_downloads_by_requestor", "events_per_initiator_per_day", "failed_logins_per_requestor_per_day", "logins_from_new_locations", "privilege_escalations"])
    error_message = "The five standard reports are named queries."
  }

  assert {
    condition     = alltrue([for query in aws_athena_named_query.this : strcontains(query.query, "FROM \"aaas_audit\".\"events\"") && !strcontains(query.query, "{{") && query.workgroup == "aaas-reports"])
    error_message = "Each named query reads the Glue table, has no macro left and runs in the workgroup."
  }
}

run "rejects_a_bad_initiator_code" {
  command = plan

  module {
    source = "./modules/analytics"
  }

  variables {
    initiator_codes = ["crm web"]
  }

  expect_failures = [var.initiator_codes]
}
