data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # Loose body models: the ingestion function reports field-level errors; API Gateway only rejects
  # bodies that are not JSON objects (or batches without a 1..max_batch_size `events` array).
  single_event_schema = jsonencode({
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "AuditEvent"
    type      = "object"
  })
  batch_schema = jsonencode({
    "$schema" = "http://json-schema.org/draft-04/schema#"
    title     = "AuditEventBatch"
    type      = "object"
    required  = ["events"]
    properties = {
      events = {
        type     = "array"
        minItems = 1
        maxItems = var.max_batch_size
        items    = { type = "object" }
      }
    }
  })

  # Gateway responses are not VTL: only simple $context substitution is possible.
  bad_request_body_template = "{\"message\":\"Invalid request body\",\"errors\":\"$context.error.validationErrorString\",\"requestId\":\"$context.requestId\"}"

  access_log_format = jsonencode({
    requestId          = "$context.requestId"
    extendedRequestId  = "$context.extendedRequestId"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    apiKeyId           = "$context.identity.apiKeyId"
    errorMessage       = "$context.error.message"
    validationError    = "$context.error.validationErrorString"
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    responseLatency    = "$context.responseLatency"
  })

  methods = {
    single = {
      resource_id = aws_api_gateway_resource.events.id
      model       = aws_api_gateway_model.event.name
    }
    batch = {
      resource_id = aws_api_gateway_resource.batch.id
      model       = aws_api_gateway_model.batch.name
    }
  }
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.api_name
  description = var.description

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_api_gateway_resource" "v1" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = "v1"
}

resource "aws_api_gateway_resource" "events" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.v1.id
  path_part   = "events"
}

resource "aws_api_gateway_resource" "batch" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.events.id
  path_part   = "batch"
}

resource "aws_api_gateway_request_validator" "body" {
  rest_api_id                 = aws_api_gateway_rest_api.this.id
  name                        = "validate-body"
  validate_request_body       = true
  validate_request_parameters = false
}

resource "aws_api_gateway_model" "event" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "AuditEvent"
  description  = "Any JSON object; field-level validation happens in the ingestion function."
  content_type = "application/json"
  schema       = local.single_event_schema
}

resource "aws_api_gateway_model" "batch" {
  rest_api_id  = aws_api_gateway_rest_api.this.id
  name         = "AuditEventBatch"
  description  = "Object with an events array of 1..${var.max_batch_size} objects."
  content_type = "application/json"
  schema       = local.batch_schema
}

resource "aws_api_gateway_method" "this" {
  for_each = local.methods

  rest_api_id          = aws_api_gateway_rest_api.this.id
  resource_id          = each.value.resource_id
  http_method          = "POST"
  authorization        = "NONE" # callers authenticate with their API key (api_key_required)
  api_key_required     = true
  request_validator_id = aws_api_gateway_request_validator.body.id
  request_models = {
    "application/json" = each.value.model
  }
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.methods

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = each.value.resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = var.function_invoke_arn
  timeout_milliseconds    = var.integration_timeout_milliseconds
}

resource "aws_api_gateway_gateway_response" "bad_request_body" {
  rest_api_id   = aws_api_gateway_rest_api.this.id
  response_type = "BAD_REQUEST_BODY"
  status_code   = "400"

  response_templates = {
    "application/json" = local.bad_request_body_template
  }
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowApiGateway-${var.api_name}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/POST/v1/events*"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by Terraform"

  # Only ids and locally known strings: LocalStack reports drift on whole objects, and ids change
  # whenever a resource is replaced.
  triggers = {
    redeployment = sha1(jsonencode([
      aws_api_gateway_resource.v1.id,
      aws_api_gateway_resource.events.id,
      aws_api_gateway_resource.batch.id,
      aws_api_gateway_request_validator.body.id,
      aws_api_gateway_model.event.id,
      aws_api_gateway_model.batch.id,
      local.single_event_schema,
      local.batch_schema,
      local.bad_request_body_template,
      aws_api_gateway_gateway_response.bad_request_body.id,
      [for k in sort(keys(local.methods)) : aws_api_gateway_method.this[k].id],
      [for k in sort(keys(local.methods)) : aws_api_gateway_integration.this[k].id],
      var.function_invoke_arn,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [
    aws_api_gateway_integration.this,
    aws_api_gateway_gateway_response.bad_request_body,
  ]
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.api_name}/${var.stage_name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:Only POST methods that write audit events; responses must never be served from a cache.
  # checkov:skip=CKV2_AWS_29:WAF is an account/edge decision outside this module (attach a web ACL to the stage ARN output); every method already requires an API key and has usage-plan throttling and quotas.
  # checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP back ends; the only integration is a Lambda proxy invoked through IAM.
  rest_api_id           = aws_api_gateway_rest_api.this.id
  deployment_id         = aws_api_gateway_deployment.this.id
  stage_name            = var.stage_name
  xray_tracing_enabled  = var.xray_tracing_enabled
  cache_cluster_enabled = false

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format          = local.access_log_format
  }

  tags = var.tags

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "this" {
  # checkov:skip=CKV_AWS_225:Caching is deliberately off: all methods are POSTs that write audit events.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.execution_logging_level
    data_trace_enabled     = false # request/response bodies are audit data (PII): never log them
    throttling_rate_limit  = var.throttling.rate_limit
    throttling_burst_limit = var.throttling.burst_limit
    caching_enabled        = false
  }
}
