# ObjectCreated of the archive through EventBridge: the digest function (with its seal schedule) and
# the indexer (ObjectCreated under data/ only, no schedule).

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  name_prefix   = "aaas"
  bucket_name   = "aaas-archive-123456789012"
  function_arn  = "arn:aws:lambda:eu-central-1:123456789012:function:aaas-digest"
  function_name = "aaas-digest"
}

run "digest_rules" {
  command = plan

  module {
    source = "./modules/sealing"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.object_created.name == "aaas-archive-object-created" && jsondecode(aws_cloudwatch_event_rule.object_created.event_pattern).detail.object.key == [{ prefix = "data/" }, { prefix = "errors/" }]
    error_message = "The digest function gets ObjectCreated under data/ and errors/."
  }

  assert {
    condition     = toset(keys(aws_lambda_permission.this)) == toset(["object_created", "schedule"]) && aws_cloudwatch_event_rule.schedule[0].schedule_expression == "rate(60 minutes)"
    error_message = "The digest function is invoked by its ObjectCreated rule and its seal schedule."
  }
}

run "indexer_rule" {
  command = plan

  module {
    source = "./modules/sealing"
  }

  variables {
    rule_name        = "aaas-archive-data-created"
    purpose          = "index its events"
    target_id        = "indexer-function"
    prefixes         = ["data/"]
    schedule_enabled = false
    function_arn     = "arn:aws:lambda:eu-central-1:123456789012:function:aaas-indexer"
    function_name    = "aaas-indexer"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.object_created.event_pattern) == {
      source      = ["aws.s3"]
      detail-type = ["Object Created"]
      detail      = { bucket = { name = ["aaas-archive-123456789012"] }, object = { key = [{ prefix = "data/" }] } }
    }
    error_message = "The indexer gets every ObjectCreated under data/ of the archive, and nothing else."
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.schedule) == 0 && keys(aws_lambda_permission.this) == ["object_created"] && output.schedule_expression == null
    error_message = "The indexer has no schedule."
  }

  assert {
    condition = (
      aws_lambda_permission.this["object_created"].principal == "events.amazonaws.com" &&
      aws_lambda_permission.this["object_created"].function_name == "aaas-indexer" &&
      aws_lambda_permission.this["object_created"].source_arn == aws_cloudwatch_event_rule.object_created.arn &&
      aws_cloudwatch_event_target.this["object_created"].target_id == "indexer-function"
    )
    error_message = "Only the data/ rule may invoke the indexer (aws:SourceArn)."
  }
}
