# The digest ledger (docs/design.md, "Digest ledger"): one item per archived object version, written
# "pending" when S3 reports it and "sealed" by the digest that covers it, plus the chain head.
# Pending items carry `pendingsince`, the hash key of the sparse KEYS_ONLY GSI the seal reads.

resource "aws_dynamodb_table" "this" {
  name                        = var.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.deletion_protection
  table_class                 = "STANDARD"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "pendingsince"
    type = "S"
  }

  global_secondary_index {
    name            = "pending"
    hash_key        = "pendingsince"
    projection_type = "KEYS_ONLY"
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
