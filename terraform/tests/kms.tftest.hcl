# Customer-managed key: rotation, alias, policy scoped to the pipeline services.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  alias = "aaas-audit"
}

run "rotating_key" {
  command = plan

  module {
    source = "./modules/kms"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_alias.this.name == "alias/aaas-audit"
    error_message = "The key must rotate and have the alias."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.this.statement :
      anytrue([for p in s.principals : p.type == "Service" && contains(p.identifiers, "logs.eu-central-1.amazonaws.com")]) &&
      anytrue([for c in s.condition : c.variable == "kms:EncryptionContext:aws:logs:arn"])
    ])
    error_message = "CloudWatch Logs must be allowed with an encryption-context condition."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.this.statement :
      contains(s.actions, "kms:GenerateDataKey") &&
      anytrue([for c in s.condition : c.variable == "kms:ViaService" && toset(c.values) == toset([for svc in ["s3", "dynamodb", "firehose", "lambda", "sns", "sqs"] : "${svc}.eu-central-1.amazonaws.com"])])
    ])
    error_message = "Data-plane use must be limited to the pipeline services (kms:ViaService)."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
    alltrue([for p in s.principals : !contains(p.identifiers, "*")])])
    error_message = "The key policy must not use a wildcard principal."
  }
}

run "rejects_short_deletion_window" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    deletion_window_in_days = 3
  }

  expect_failures = [var.deletion_window_in_days]
}

run "signing_and_mac_keys" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    mac_key_enabled     = true
    mac_key_users       = ["arn:aws:iam::123456789012:role/aaas-query"]
    signing_key_enabled = true
    signing_key_users   = ["arn:aws:iam::123456789012:role/aaas-digest"]
  }

  assert {
    condition     = aws_kms_key.purpose["signing"].customer_master_key_spec == "ECC_NIST_P256" && aws_kms_key.purpose["signing"].key_usage == "SIGN_VERIFY"
    error_message = "Digests are signed with an ECC_NIST_P256 SIGN_VERIFY key."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.purpose["signing"].statement : s.principals if contains(s.actions, "kms:Sign")
    ] == [toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::123456789012:role/aaas-digest"]) }])]
    error_message = "Only the signing_key_users role may kms:Sign."
  }

  assert {
    condition     = aws_kms_key.purpose["mac"].customer_master_key_spec == "HMAC_256" && aws_kms_key.purpose["mac"].key_usage == "GENERATE_VERIFY_MAC"
    error_message = "Cursors use an HMAC_256 key."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.purpose["mac"].statement : s.principals if contains(s.actions, "kms:GenerateMac")
    ] == [toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::123456789012:role/aaas-query"]) }])]
    error_message = "Only the mac_key_users role may kms:GenerateMac."
  }
}
