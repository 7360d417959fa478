# A usage plan (throttle + quota) per client system, and an API key with its usage plan key per live
# key generation of the client: keys.current, and during a rotation keys.next. Every generation's
# key id maps to the same client in API_CLIENTS, so both keys are one tenant.
# The keys depend on nothing but the API name so the functions can receive their ids (API_CLIENTS)
# without a dependency cycle.

locals {
  # "<client>/<generation>" -> the client and the generation label.
  client_keys = merge([
    for name, client in var.clients : {
      for generation in compact([client.keys.current, client.keys.next]) :
      "${name}/${generation}" => { client = name, generation = generation }
    }
  ]...)
}

resource "aws_api_gateway_api_key" "this" {
  for_each = local.client_keys

  name        = "${var.api_name}-${each.value.client}-${each.value.generation}"
  description = "Client system ${each.value.client} (${join("+", var.clients[each.value.client].scopes)}), key generation ${each.value.generation}"
  enabled     = true
  tags        = merge(var.tags, { ClientSystem = each.value.client, KeyGeneration = each.value.generation })
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
  for_each = local.client_keys

  key_id        = aws_api_gateway_api_key.this[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[each.value.client].id
}
