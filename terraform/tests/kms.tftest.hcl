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
