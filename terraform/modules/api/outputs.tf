output "rest_api_id" {
  description = "ID of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "Name of the REST API (CloudWatch ApiName dimension)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN of the REST API."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage (attach a WAF web ACL here)."
  value       = aws_api_gateway_stage.this.arn
}

output "invoke_url" {
  description = "Invoke URL of the stage, without trailing slash; POST events to <invoke_url>/v1/events."
  value       = trimsuffix(aws_api_gateway_stage.this.invoke_url, "/")
}

output "api_key_ids" {
  description = "Map of client system name to the id of its current API key."
  value       = { for name, client in var.clients : name => aws_api_gateway_api_key.this["${name}/${client.keys.current}"].id }
}

output "api_key_generation_ids" {
  description = "Map of client system name to {key generation -> API key id} of its live keys (current and next)."
  value = {
    for name, client in var.clients : name => {
      for generation in compact([client.keys.current, client.keys.next]) : generation => aws_api_gateway_api_key.this["${name}/${generation}"].id
    }
  }
}

output "api_clients" {
  description = "Map of API key id to {client, scopes, write, read}: the API_CLIENTS content of the functions. Every live key generation of a client maps to the same entry."
  value = {
    for id, key in aws_api_gateway_api_key.this : key.id => {
      client = local.client_keys[id].client
      scopes = sort(distinct(var.clients[local.client_keys[id].client].scopes))
      write  = contains(var.clients[local.client_keys[id].client].scopes, "write") ? var.clients[local.client_keys[id].client].initiator_codes : []
      read   = contains(var.clients[local.client_keys[id].client].scopes, "read") ? coalesce(var.clients[local.client_keys[id].client].read_initiator_codes, var.clients[local.client_keys[id].client].initiator_codes) : []
    }
  }
}

output "operations" {
  description = "Map of \"<METHOD> <path>\" to the operation id and the function serving it, as read from the OpenAPI document."
  value       = { for key, op in local.operations : key => { operation_id = op.operation_id, function = op.function } }
}

output "api_key_values" {
  description = "Map of client system name to the value of its current API key."
  value       = { for name, client in var.clients : name => aws_api_gateway_api_key.this["${name}/${client.keys.current}"].value }
  sensitive   = true
}

output "api_key_generation_values" {
  description = "Map of client system name to {key generation -> API key value} of its live keys (hand the next one to the client during a rotation)."
  value = {
    for name, client in var.clients : name => {
      for generation in compact([client.keys.current, client.keys.next]) : generation => aws_api_gateway_api_key.this["${name}/${generation}"].value
    }
  }
  sensitive = true
}

output "usage_plan_ids" {
  description = "Map of client system name to usage plan id."
  value       = { for name, plan in aws_api_gateway_usage_plan.this : name => plan.id }
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}
