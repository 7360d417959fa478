locals {
  # docs/design.md, "DynamoDB index": every GSI is tenant-scoped (its hash key starts with the
  # initiator) and sorted by "<13-digit timestamp>#<eventid>", so a filter plus a time range is one
  # key condition and events of the same millisecond never shadow each other.
  global_secondary_indexes = {
    "by-initiator"   = "initiatorsystemcode"
    "by-requestor"   = "requestorkey"
    "by-eventtype"   = "eventtypekey"
    "by-requestorip" = "requestoripkey"
  }
  hash_key  = "pk"   # "<initiatorsystemcode>#<eventid>"; alert dedupe items use "alert#..."
  range_key = "tsid" # GSI range key of every index
}

resource "aws_dynamodb_table" "this" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.hash_key
  deletion_protection_enabled = var.deletion_protection
  table_class                 = "STANDARD"

  attribute {
    name = local.hash_key
    type = "S"
  }

  attribute {
    name = local.range_key
    type = "S"
  }

  dynamic "attribute" {
    for_each = toset(values(local.global_secondary_indexes))
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.global_secondary_indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value
      range_key       = local.range_key
      projection_type = "ALL"
    }
  }

  ttl {
    attribute_name = "expiresat"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = var.tags
}
