# API Gateway: API keys on every method, validation, gateway response, keys per client, logging.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  api_name            = "aaas-api"
  function_name       = "aaas-ingestion"
  function_invoke_arn = "arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:aaas-ingestion/invocations"
  kms_key_arn         = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  clients = {
    crm = { initiator_codes = ["CRM_WEB", "CRM_MBL"], quota_limit = 5000 }
    erp = { initiator_codes = ["ERP_WEB"] }
  }
}

run "secured_api" {
  command = plan

  module {
    source = "./modules/api"
  }

  assert {
    condition     = length(aws_api_gateway_method.this) == 2 && alltrue([for m in aws_api_gateway_method.this : m.api_key_required && m.http_method == "POST"])
    error_message = "Every API method must be a POST that requires an API key."
  }

  assert {
    condition     = alltrue([for m in aws_api_gateway_method.this : m.request_validator_id == aws_api_gateway_request_validator.body.id]) && aws_api_gateway_request_validator.body.validate_request_body
    error_message = "Every method must validate its body."
  }

  assert {
    condition     = [aws_api_gateway_resource.v1.path_part, aws_api_gateway_resource.events.path_part, aws_api_gateway_resource.batch.path_part] == ["v1", "events", "batch"]
    error_message = "Resources must be /v1/events and /v1/events/batch."
  }

  assert {
    condition     = alltrue([for i in aws_api_gateway_integration.this : i.type == "AWS_PROXY" && i.uri == var.function_invoke_arn])
    error_message = "Both methods must proxy to the ingestion function."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_model.batch.schema).properties.events.minItems == 1 &&
      jsondecode(aws_api_gateway_model.batch.schema).properties.events.maxItems == 500 &&
      jsondecode(aws_api_gateway_model.batch.schema).required == ["events"] &&
      jsondecode(aws_api_gateway_model.event.schema).type == "object" &&
      jsondecode(aws_api_gateway_model.event.schema)["$schema"] == "http://json-schema.org/draft-04/schema#"
    )
    error_message = "Body models must be loose draft-04 schemas (object; batch with 1..500 events)."
  }

  assert {
    condition     = aws_api_gateway_gateway_response.bad_request_body.response_type == "BAD_REQUEST_BODY" && strcontains(aws_api_gateway_gateway_response.bad_request_body.response_templates["application/json"], "$context.error.validationErrorString")
    error_message = "BAD_REQUEST_BODY must return the validation errors as JSON."
  }

  assert {
    condition     = length(aws_api_gateway_api_key.this) == 2 && length(aws_api_gateway_usage_plan.this) == 2 && length(aws_api_gateway_usage_plan_key.this) == 2
    error_message = "Each client needs an API key, a usage plan and a usage plan key."
  }

  assert {
    condition     = aws_api_gateway_usage_plan.this["crm"].quota_settings[0].limit == 5000 && aws_api_gateway_usage_plan.this["erp"].quota_settings[0].limit == 1000000 && aws_api_gateway_usage_plan.this["erp"].throttle_settings[0].rate_limit == 50
    error_message = "Usage plans must carry the client's throttle and quota (with defaults)."
  }

  assert {
    condition     = output.api_key_initiators[aws_api_gateway_api_key.this["crm"].id] == tolist(["CRM_WEB", "CRM_MBL"]) && output.api_key_initiators[aws_api_gateway_api_key.this["erp"].id] == tolist(["ERP_WEB"])
    error_message = "api_key_initiators must map each key id to the client's initiator codes."
  }

  assert {
    condition     = aws_lambda_permission.this.source_arn == "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/POST/v1/events*" && aws_lambda_permission.this.principal == "apigateway.amazonaws.com"
    error_message = "The invoke permission must be scoped to this API's POST /v1/events* routes."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.kms_key_id == var.kms_key_arn && aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "Access logs must go to a KMS-encrypted log group."
  }

  assert {
    condition     = aws_api_gateway_method_settings.this.settings[0].data_trace_enabled == false && aws_api_gateway_method_settings.this.settings[0].throttling_rate_limit == 100
    error_message = "Method settings must throttle and must never log bodies."
  }

  assert {
    condition     = output.invoke_url == "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/prod"
    error_message = "invoke_url must be the stage URL without trailing slash."
  }
}

run "rejects_bad_quota_period" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    clients = { crm = { initiator_codes = ["CRM_WEB"], quota_period = "YEAR" } }
  }

  expect_failures = [var.clients]
}
