data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  # The OpenAPI document is the contract; API Gateway gets its routes, parameters and security,
  # plus an AWS_PROXY integration per operation for the function its `x-aaas-function` names.
  # Schemas are left out of what API Gateway imports: it would only turn them into draft-04
  # models, and the functions validate every body and answer with all violations listed.
  document     = yamldecode(var.openapi_document)
  http_methods = ["get", "put", "post", "delete", "patch", "head", "options"]

  # "<METHOD> <path>" -> what the permissions and tests need about each operation.
  operations = merge([
    for path, item in local.document.paths : {
      for method, operation in item : "${upper(method)} ${path}" => {
        method       = upper(method)
        path         = path
        operation_id = operation.operationId
        function     = operation["x-aaas-function"]
      } if contains(local.http_methods, method)
    }
  ]...)

  gateway_paths = {
    for path, item in local.document.paths : path => {
      for method, operation in item : method => {
        operationId = operation.operationId
        summary     = try(operation.summary, "")
        parameters = [
          for parameter in try(operation.parameters, []) : {
            name     = try(parameter.name, local.document.components.parameters[basename(parameter["$ref"])].name)
            in       = try(parameter["in"], local.document.components.parameters[basename(parameter["$ref"])]["in"])
            required = try(parameter.required, local.document.components.parameters[basename(parameter["$ref"])].required, false)
            schema   = { type = "string" }
          }
        ]
        security  = [{ api_key = [] }]
        responses = { for status, response in operation.responses : status => { description = "See the OpenAPI document" } }
        "x-amazon-apigateway-integration" = {
          type                = "aws_proxy"
          httpMethod          = "POST"
          uri                 = var.functions[operation["x-aaas-function"]].invoke_arn
          passthroughBehavior = "when_no_match"
          timeoutInMillis     = var.integration_timeout_milliseconds
        }
      } if contains(local.http_methods, method)
    }
  }

  body = jsonencode({
    openapi = local.document.openapi
    info = {
      title       = var.api_name
      version     = local.document.info.version
      description = var.description
    }
    paths = local.gateway_paths
    components = {
      securitySchemes = {
        api_key = { type = "apiKey", name = "x-api-key", in = "header" }
      }
    }
    "x-amazon-apigateway-api-key-source" = "HEADER"
  })

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
    integrationStatus  = "$context.integration.status"
    integrationLatency = "$context.integration.latency"
    responseLatency    = "$context.responseLatency"
  })
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.api_name
  description = var.description
  body        = local.body

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = alltrue([for op in values(local.operations) : contains(keys(var.functions), op.function)])
      error_message = "Every x-aaas-function of the OpenAPI document must be a key of var.functions."
    }
  }
}

# One invoke permission per operation, scoped to its method and path ({param} -> *).
resource "aws_lambda_permission" "this" {
  for_each = local.operations

  statement_id  = "AllowApiGateway-${each.value.operation_id}"
  action        = "lambda:InvokeFunction"
  function_name = var.functions[each.value.function].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/${each.value.method}${replace(each.value.path, "/\\{[^}]+\\}/", "*")}"
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Managed by Terraform"

  triggers = {
    redeployment = sha1(local.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.api_name}/${var.stage_name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:Audit reads are tenant-scoped and must reflect the index at once; a stage cache keyed without the API key could serve one tenant's page to another.
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
  # checkov:skip=CKV_AWS_225:Caching is deliberately off: POSTs write events, and cached GETs could cross tenants or serve stale pages.
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
