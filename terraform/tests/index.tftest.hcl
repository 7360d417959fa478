# DynamoDB index: keys and GSIs of docs/design.md, TTL, PITR, KMS, deletion protection.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  table_name  = "aaas-index"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "design_table" {
  command = plan

  module {
    source = "./modules/index"
  }

  assert {
    condition     = aws_dynamodb_table.this.billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.this.hash_key == "pk" && aws_dynamodb_table.this.range_key == null
    error_message = "The table must be PAY_PER_REQUEST with hash key pk (<initiator>#<eventid>) and no range key."
  }

  assert {
    condition = { for g in aws_dynamodb_table.this.global_secondary_index : g.name => [g.hash_key, g.range_key, g.projection_type] } == {
      "by-initiator"   = ["initiatorsystemcode", "tsid", "ALL"]
      "by-requestor"   = ["requestorkey", "tsid", "ALL"]
      "by-eventtype"   = ["eventtypekey", "tsid", "ALL"]
      "by-requestorip" = ["requestoripkey", "tsid", "ALL"]
    }
    error_message = "GSIs must match docs/design.md (tenant-scoped hash keys, tsid range keys)."
  }

  assert {
    condition     = { for a in aws_dynamodb_table.this.attribute : a.name => a.type } == { pk = "S", tsid = "S", initiatorsystemcode = "S", requestorkey = "S", eventtypekey = "S", requestoripkey = "S" }
    error_message = "Key attributes must match docs/design.md (all strings)."
  }

  assert {
    condition     = aws_dynamodb_table.this.ttl[0].enabled && aws_dynamodb_table.this.ttl[0].attribute_name == "expiresat"
    error_message = "TTL must be enabled on expiresat."
  }

  assert {
    condition     = aws_dynamodb_table.this.point_in_time_recovery[0].enabled
    error_message = "Point-in-time recovery must be enabled."
  }

  assert {
    condition     = aws_dynamodb_table.this.server_side_encryption[0].enabled && aws_dynamodb_table.this.server_side_encryption[0].kms_key_arn == var.kms_key_arn
    error_message = "The table must be encrypted with the customer-managed key."
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled
    error_message = "Deletion protection must be on by default."
  }
}

run "deletion_protection_can_be_disabled" {
  command = plan

  module {
    source = "./modules/index"
  }

  variables {
    deletion_protection = false
  }

  assert {
    condition     = aws_dynamodb_table.this.deletion_protection_enabled == false
    error_message = "deletion_protection = false must disable deletion protection."
  }
}
