locals {
  # GSIs of docs/design.md: hash key -> every GSI sorts by the event timestamp (epoch ms).
  global_secondary_indexes = {
    "by-requestor"   = "requestorid"
    "by-eventtype"   = "eventtype"
    "by-requestorip" = "requestorip"
  }
}

resource "aws_dynamodb_table" "this" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "eventid"
  deletion_protection_enabled = var.deletion_protection
  table_class                 = "STANDARD"

  attribute {
    name = "eventid"
    type = "S"
  }

  attribute {
    name = "requestorid"
    type = "S"
  }

  attribute {
    name = "eventtype"
    type = "S"
  }

  attribute {
    name = "requestorip"
    type = "S"
  }

  attribute {
    name = "timestamp"
    type = "N"
  }

  dynamic "global_secondary_index" {
    for_each = local.global_secondary_indexes
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value
      range_key       = "timestamp"
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
