# Generic Lambda module: runtime, encryption, own log group, least privilege, async on-failure queue.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  function_name = "aaas-alerting"
  package_path  = "tests/fixtures/packages/alerting.zip"
  handler       = "alerting.handler.lambda_handler"
  kms_key_arn   = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  environment_variables = {
    POWERTOOLS_SERVICE_NAME = "audit-alerting"
  }
  policy_statements = [
    {
      sid       = "PublishAlerts"
      actions   = ["sns:Publish"]
      resources = ["arn:aws:sns:eu-central-1:123456789012:aaas-alerts"]
    },
  ]
  on_failure_queue_enabled = true
  async_invoke_config      = {}
}

run "async_function" {
  command = plan

  module {
    source = "./modules/function"
  }

  assert {
    condition = (
      aws_lambda_function.this.runtime == "python3.13" &&
      aws_lambda_function.this.architectures == tolist(["arm64"]) &&
      aws_lambda_function.this.handler == "alerting.handler.lambda_handler" &&
      aws_lambda_function.this.source_code_hash == filebase64sha256("tests/fixtures/packages/alerting.zip")
    )
    error_message = "The function must run python3.13 on arm64 (the default) from the given package."
  }

  assert {
    condition     = aws_lambda_function.this.kms_key_arn == var.kms_key_arn && aws_lambda_function.this.environment[0].variables["POWERTOOLS_SERVICE_NAME"] == "audit-alerting"
    error_message = "Environment variables must be set and encrypted with the customer-managed key."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/aaas-alerting" && aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 365
    error_message = "The function's log group must be /aws/lambda/<name>, KMS-encrypted, with retention."
  }

  assert {
    condition     = aws_sqs_queue.on_failure[0].kms_master_key_id == var.kms_key_arn && aws_lambda_function_event_invoke_config.this[0].destination_config[0].on_failure[0].destination == aws_sqs_queue.on_failure[0].arn
    error_message = "Async failures must go to a KMS-encrypted SQS on-failure destination."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.this.statement :
    toset(s.actions) == toset(["logs:CreateLogStream", "logs:PutLogEvents"]) && toset(s.resources) == toset(["arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/aaas-alerting:*"])])
    error_message = "Log permissions must be scoped to the function's own log group."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.this.statement : contains(s.actions, "sqs:SendMessage") && toset(s.resources) == toset([aws_sqs_queue.on_failure[0].arn])])
    error_message = "The role must be allowed to send to its on-failure queue only."
  }

  assert {
    condition     = anytrue([for s in data.aws_iam_policy_document.this.statement : s.sid == "PublishAlerts" && contains(s.actions, "sns:Publish")])
    error_message = "Passed-in policy statements must be part of the role policy."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.this.statement :
    !contains(s.resources, "*") if !alltrue([for a in s.actions : startswith(a, "xray:")])])
    error_message = "Only X-Ray (no resource-level permissions) may use a * resource."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.assume_role.statement :
      anytrue([for c in s.condition : c.variable == "aws:SourceAccount" && toset(c.values) == toset(["123456789012"])])
    ])
    error_message = "Only Lambda on behalf of this account may assume the execution role (aws:SourceAccount)."
  }
}

run "x86_64_function" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    architectures = ["x86_64"]
  }

  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "The architectures input must reach the function."
  }
}

run "rejects_unsupported_architecture" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    architectures = ["arm64", "x86_64"]
  }

  expect_failures = [var.architectures]
}

run "rejects_unsupported_runtime" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    runtime = "python3.9"
  }

  expect_failures = [var.runtime]
}

run "rejects_wildcard_policy_statements" {
  command = plan

  module {
    source = "./modules/function"
  }

  variables {
    policy_statements = [{ sid = "TooBroad", actions = ["s3:*"], resources = ["*"] }]
  }

  expect_failures = [var.policy_statements]
}
