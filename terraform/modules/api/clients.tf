# One API key, usage plan (throttle + quota) and usage plan key per client system.
# The keys depend on nothing but the API name so the ingestion function can receive their ids
# (API_KEY_INITIATORS) without a dependency cycle.

resource "aws_api_gateway_api_key" "this" {
  for_each = var.clients

  name        = "${var.api_name}-${each.key}"
  description = "Client system ${each.key} (${join("+", each.value.scopes)})"
  enabled     = true
  tags        = merge(var.tags, { ClientSystem = each.key })
}

resource "aws_api_gateway_usage_plan" "this" {
  for_each = var.clients

  name        = "${var.api_name}-${each.key}"
  description = "Usage plan of client system ${each.key}"

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  throttle_settings {
    rate_limit  = each.value.throttle_rate_limit
    burst_limit = each.value.throttle_burst_limit
  }

  quota_settings {
    limit  = each.value.quota_limit
    period = each.value.quota_period
  }

  tags = var.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  for_each = var.clients

  key_id        = aws_api_gateway_api_key.this[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[each.key].id
}
