# API Gateway built from docs/openapi.yaml: API keys on every operation, one function per operation,
# permissions per route, keys per client with scopes, logging.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  api_name         = "aaas-api"
  openapi_document = file("../docs/openapi.yaml")
  functions = {
    ingestion = {
      function_name = "aaas-ingestion"
      invoke_arn    = "arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:aaas-ingestion/invocations"
    }
    query = {
      function_name = "aaas-query"
      invoke_arn    = "arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:aaas-query/invocations"
    }
    export = {
      function_name = "aaas-export"
      invoke_arn    = "arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-central-1:123456789012:function:aaas-export/invocations"
    }
  }
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  clients = {
    crm     = { initiator_codes = ["CRM_WEB", "CRM_MBL"], quota_limit = 5000, scopes = ["write", "read"] }
    erp     = { initiator_codes = ["ERP_WEB"] }
    auditor = { read_initiator_codes = ["CRM_WEB", "ERP_WEB"], scopes = ["read"] }
  }
}

run "secured_api" {
  command = plan

  module {
    source = "./modules/api"
  }

  assert {
    condition     = alltrue(flatten([for path, item in jsondecode(aws_api_gateway_rest_api.this.body).paths : [for method, op in item : op.security == [{ api_key = [] }]]]))
    error_message = "Every operation must require the API key."
  }

  assert {
    condition     = jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes.api_key == { type = "apiKey", name = "x-api-key", in = "header" } && jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-api-key-source"] == "HEADER"
    error_message = "The API key comes from the x-api-key header."
  }

  assert {
    condition = { for key, op in output.operations : key => op.function } == {
      "POST /v1/events"                = "ingestion"
      "POST /v1/events/batch"          = "ingestion"
      "GET /v1/events"                 = "query"
      "GET /v1/events/{eventid}"       = "query"
      "GET /v1/events/{eventid}/proof" = "query"
      "POST /v1/exports"               = "export"
      "GET /v1/exports/{exportid}"     = "export"
    }
    error_message = "The routes are the OpenAPI document's, each served by its x-aaas-function."
  }

  assert {
    condition = alltrue(flatten([
      for path, item in jsondecode(aws_api_gateway_rest_api.this.body).paths : [
        for method, op in item : op["x-amazon-apigateway-integration"].type == "aws_proxy" && op["x-amazon-apigateway-integration"].uri == var.functions[output.operations["${upper(method)} ${path}"].function].invoke_arn
      ]
    ]))
    error_message = "Each operation must proxy to the function its x-aaas-function names."
  }

  assert {
    condition     = !can(jsondecode(aws_api_gateway_rest_api.this.body).components.schemas) && !strcontains(aws_api_gateway_rest_api.this.body, "requestBody")
    error_message = "API Gateway imports no body models: the functions validate bodies and list every violation."
  }

  assert {
    condition     = [for p in jsondecode(aws_api_gateway_rest_api.this.body).paths["/v1/events/{eventid}"].get.parameters : [p.name, p["in"], p.required]] == [["eventid", "path", true], ["initiatorsystemcode", "query", false]]
    error_message = "Parameters (with $ref resolved) must be passed through from the document."
  }

  assert {
    condition = { for key, p in aws_lambda_permission.this : key => [p.function_name, p.source_arn] } == {
      "POST /v1/events"                = ["aaas-ingestion", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/POST/v1/events"]
      "POST /v1/events/batch"          = ["aaas-ingestion", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/POST/v1/events/batch"]
      "GET /v1/events"                 = ["aaas-query", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/GET/v1/events"]
      "GET /v1/events/{eventid}"       = ["aaas-query", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/GET/v1/events/*"]
      "GET /v1/events/{eventid}/proof" = ["aaas-query", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/GET/v1/events/*/proof"]
      "POST /v1/exports"               = ["aaas-export", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/POST/v1/exports"]
      "GET /v1/exports/{exportid}"     = ["aaas-export", "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/GET/v1/exports/*"]
    }
    error_message = "Each operation's function may be invoked for exactly that method and path."
  }

  assert {
    condition     = aws_api_gateway_deployment.this.triggers.redeployment == sha1(aws_api_gateway_rest_api.this.body)
    error_message = "A change of the document must redeploy the stage."
  }

  assert {
    condition     = length(aws_api_gateway_api_key.this) == 3 && length(aws_api_gateway_usage_plan.this) == 3 && length(aws_api_gateway_usage_plan_key.this) == 3
    error_message = "Each client needs an API key, a usage plan and a usage plan key."
  }

  assert {
    condition     = aws_api_gateway_usage_plan.this["crm"].quota_settings[0].limit == 5000 && aws_api_gateway_usage_plan.this["erp"].quota_settings[0].limit == 1000000 && aws_api_gateway_usage_plan.this["erp"].throttle_settings[0].rate_limit == 50
    error_message = "Usage plans must carry the client's throttle and quota (with defaults)."
  }

  assert {
    condition = jsonencode({
      for id, c in output.api_clients : c.client => [id == aws_api_gateway_api_key.this["${c.client}/1"].id, c.scopes, c.write, c.read]
      }) == jsonencode({
      crm     = [true, ["read", "write"], ["CRM_WEB", "CRM_MBL"], ["CRM_WEB", "CRM_MBL"]]
      erp     = [true, ["write"], ["ERP_WEB"], []]
      auditor = [true, ["read"], [], ["CRM_WEB", "ERP_WEB"]]
    })
    error_message = "api_clients must map each key id to its client, scopes and the initiators it may write and read."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.kms_key_id == var.kms_key_arn && aws_api_gateway_stage.this.access_log_settings[0].destination_arn == aws_cloudwatch_log_group.access.arn
    error_message = "Access logs must go to a KMS-encrypted log group."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.cloudwatch[0].statement :
      length(setintersection(s.actions, ["logs:GetLogEvents", "logs:FilterLogEvents"])) == 0 &&
      alltrue([for r in s.resources : r == "*" || can(regex(":log-group:(API-Gateway-Execution-Logs_|/aws/apigateway/)", r))])
    ])
    error_message = "The API Gateway logging role writes only to API Gateway's log groups and reads none."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.cloudwatch_assume_role[0].statement :
      anytrue([for c in s.condition : c.variable == "aws:SourceAccount"])
    ])
    error_message = "Only API Gateway on behalf of this account may assume the logging role."
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

run "rejects_operation_without_function" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    openapi_document = "{openapi: 3.0.3, info: {title: t, version: '1'}, paths: {/v1/x: {get: {operationId: getX, responses: {'200': {description: ok}}}}}}"
  }

  expect_failures = [var.openapi_document]
}

run "two_live_key_generations" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    clients = {
      crm = { initiator_codes = ["CRM_WEB"], scopes = ["write", "read"], keys = { current = "1", next = "2" } }
      erp = { initiator_codes = ["ERP_WEB"] }
    }
  }

  assert {
    condition     = toset(keys(aws_api_gateway_api_key.this)) == toset(["crm/1", "crm/2", "erp/1"]) && toset(keys(aws_api_gateway_usage_plan_key.this)) == toset(["crm/1", "crm/2", "erp/1"])
    error_message = "Each live key generation is its own API key in the usage plan."
  }

  assert {
    condition     = aws_api_gateway_api_key.this["crm/2"].name == "aaas-api-crm-2" && aws_api_gateway_api_key.this["crm/1"].tags.KeyGeneration == "1"
    error_message = "Keys are named and tagged by client and generation."
  }

  assert {
    condition     = toset(keys(aws_api_gateway_usage_plan.this)) == toset(["crm", "erp"]) && alltrue([for key in aws_api_gateway_usage_plan_key.this : key.key_type == "API_KEY"])
    error_message = "One usage plan per client, whatever the number of its keys."
  }
}

run "retired_key_is_gone" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    clients = {
      crm = { initiator_codes = ["CRM_WEB"], keys = { current = "2" } }
    }
  }

  assert {
    condition     = keys(aws_api_gateway_api_key.this) == ["crm/2"] && keys(output.api_key_generation_ids) == ["crm"] && keys(output.api_key_generation_ids.crm) == ["2"]
    error_message = "After the rotation only the new generation's key exists."
  }
}

run "rejects_next_equal_to_current" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    clients = {
      crm = { initiator_codes = ["CRM_WEB"], keys = { current = "1", next = "1" } }
    }
  }

  expect_failures = [var.clients]
}

run "rejects_bad_generation_label" {
  command = plan

  module {
    source = "./modules/api"
  }

  variables {
    clients = {
      crm = { initiator_codes = ["CRM_WEB"], keys = { current = "Key 1!" } }
    }
  }

  expect_failures = [var.clients]
}
