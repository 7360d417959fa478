# Customer-managed key: rotation, alias, policy scoped to the pipeline services.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  alias = "aaas-audit"
  key_users = {
    ingestion = { role_arn = "arn:aws:iam::123456789012:role/aaas-ingestion-role", via_services = ["dynamodb", "lambda"] }
    query     = { role_arn = "arn:aws:iam::123456789012:role/aaas-query-role", via_services = ["dynamodb", "s3"], decrypt_only = true }
  }
  deployer_arns = ["arn:aws:iam::123456789012:role/deployer"]
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
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
    alltrue([for p in s.principals : !contains(p.identifiers, "*")])])
    error_message = "The key policy must not use a wildcard principal."
  }
}

run "least_privilege_key_policy" {
  command = plan

  module {
    source = "./modules/kms"
  }

  # Finding 1: no data-plane use by the account root, only by the listed roles through their services.
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
      length(setintersection(s.actions, ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKeyWithoutPlaintext"])) == 0
      if anytrue([for p in s.principals : contains(p.identifiers, "arn:aws:iam::123456789012:root")])
    ])
    error_message = "The account root must not be allowed any data-plane use of the data key."
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.actions if anytrue([for p in s.principals : contains(p.identifiers, "arn:aws:iam::123456789012:role/aaas-query-role")])] == [toset(["kms:Decrypt"])]
    error_message = "A decrypt_only role gets kms:Decrypt alone."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
      anytrue([for c in s.condition : c.variable == "kms:ViaService"])
      if anytrue([for p in s.principals : p.type == "AWS" && !contains(p.identifiers, "arn:aws:iam::123456789012:root")])
    ])
    error_message = "Every role's use of the data key must be limited by kms:ViaService."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.this.statement :
      s.sid == "IngestionUsesKeyThroughServices" && s.actions == toset(["kms:Decrypt", "kms:GenerateDataKey"]) &&
      anytrue([for c in s.condition : c.variable == "kms:ViaService" && toset(c.values) == toset(["dynamodb.eu-central-1.amazonaws.com", "lambda.eu-central-1.amazonaws.com"])])
    ])
    error_message = "Each role uses the key through exactly its services."
  }

  # Conditions on every service-principal statement: a source account/ARN, or the encryption
  # context that names the resource (CloudWatch Logs).
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
      anytrue([for c in s.condition : contains(["aws:SourceArn", "aws:SourceAccount", "kms:EncryptionContext:aws:logs:arn"], c.variable)])
      if anytrue([for p in s.principals : p.type == "Service"])
    ])
    error_message = "Every service-principal statement of the key policy needs a source condition."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.this.statement :
      s.sid == "CloudWatchAlarmsPublishToEncryptedTopics" &&
      anytrue([for c in s.condition : c.variable == "aws:SourceArn"]) && anytrue([for c in s.condition : c.variable == "aws:SourceAccount"])
    ])
    error_message = "CloudWatch alarms may use the key only with aws:SourceArn and aws:SourceAccount."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
      alltrue([for p in s.principals : !contains(p.identifiers, "*")])
    ])
    error_message = "The key policy must not use a wildcard principal."
  }
}

run "rejects_unknown_via_service" {
  command = plan

  module {
    source = "./modules/kms"
  }

  variables {
    key_users = { x = { role_arn = "arn:aws:iam::123456789012:role/x", via_services = ["ec2"] } }
  }

  expect_failures = [var.key_users]
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

    export_signing_key_enabled = true
    export_signing_key_users   = ["arn:aws:iam::123456789012:role/aaas-export"]
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.purpose["export-signing"].statement : s.principals if contains(s.actions, "kms:Sign")
    ] == [toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::123456789012:role/aaas-export"]) }])] && aws_kms_key.purpose["export-signing"].customer_master_key_spec == "ECC_NIST_P256"
    error_message = "Export manifests have their own ECC_NIST_P256 key that only the export role may sign with."
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
    error_message = "Cursors and Firehose records are MAC'd with an HMAC_256 key."
  }

  assert {
    condition = [
      for s in data.aws_iam_policy_document.purpose["mac"].statement : s.principals if contains(s.actions, "kms:GenerateMac")
    ] == [toset([{ type = "AWS", identifiers = toset(["arn:aws:iam::123456789012:role/aaas-query"]) }])]
    error_message = "Only the mac_key_users roles may kms:GenerateMac."
  }
}
