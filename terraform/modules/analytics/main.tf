# SQL over the archive with Athena: a Glue table over data/ (the archive's gzip NDJSON, read with
# the OpenX JSON SerDe) whose partitions are projected, so neither a crawler nor MSCK REPAIR is ever
# needed; a workgroup that encrypts results with KMS in a bucket of their own and caps the bytes a
# query may scan; and the standard reports as named queries.
#
# The columns, the event types and the query texts come from archive_table.json, generated from
# the event JSON Schema and reports/sql/ by `make analytics-inputs` (a unit test proves it current).

locals {
  inputs        = jsondecode(file("${path.module}/archive_table.json"))
  qualified     = "\"${aws_glue_catalog_database.this.name}\".\"${aws_glue_catalog_table.this.name}\""
  location      = "s3://${var.archive_bucket_name}/data/"
  path_template = "${local.location}initiatorsystemcode=$${initiatorsystemcode}/eventtype=$${eventtype}/year=$${year}/month=$${month}/day=$${day}/"
}

resource "aws_glue_catalog_database" "this" {
  name        = var.database_name
  description = "Audit as a Service: the S3 archive of audit events, for Athena."
  tags        = var.tags
}

resource "aws_glue_catalog_table" "this" {
  name          = var.table_name
  database_name = aws_glue_catalog_database.this.name
  description   = "Archived audit events (gzip NDJSON, one canonical JSON event per line) under ${local.location}"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL       = "TRUE"
    classification = "json"
    # Partition projection: Athena computes the partitions from these rules and the path template.
    "projection.enabled"                    = "true"
    "projection.initiatorsystemcode.type"   = "enum"
    "projection.initiatorsystemcode.values" = join(",", var.initiator_codes)
    "projection.eventtype.type"             = "enum"
    "projection.eventtype.values"           = join(",", local.inputs.event_types)
    "projection.year.type"                  = "integer"
    "projection.year.range"                 = "${var.years.first},${var.years.last}"
    "projection.month.type"                 = "integer"
    "projection.month.range"                = "1,12"
    "projection.month.digits"               = "2"
    "projection.day.type"                   = "integer"
    "projection.day.range"                  = "1,31"
    "projection.day.digits"                 = "2"
    "storage.location.template"             = local.path_template
  }

  dynamic "partition_keys" {
    for_each = local.inputs.partition_keys
    content {
      name = partition_keys.value.name
      type = partition_keys.value.type
    }
  }

  storage_descriptor {
    location      = local.location
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    compressed    = true

    ser_de_info {
      name                  = "openx-json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        # A malformed line fails the query instead of reading as nulls: `make verify` names it.
        "ignore.malformed.json" = "FALSE"
        "case.insensitive"      = "FALSE"
      }
    }

    dynamic "columns" {
      for_each = local.inputs.columns
      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = var.workgroup_name
  description   = "Audit reports over the archive: results encrypted with KMS, bytes scanned per query capped."
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query
    requester_pays_enabled             = false

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${aws_s3_bucket.results.bucket}/${var.results_prefix}"
      expected_bucket_owner = var.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = var.tags
}

# The standard reports: reports/sql/<name>.sql rendered for Athena (Trino). Each takes three
# execution parameters: the initiator and the first and last day as YYYYMMDD.
resource "aws_athena_named_query" "this" {
  for_each = local.inputs.queries

  name        = each.key
  description = substr(each.value.description, 0, 1024)
  database    = aws_glue_catalog_database.this.name
  workgroup   = aws_athena_workgroup.this.name
  query       = replace(each.value.sql, "{{events}}", local.qualified)
}
