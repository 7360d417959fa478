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
  description = "Map of client system name to API key id."
  value       = { for name, key in aws_api_gateway_api_key.this : name => key.id }
}

output "api_clients" {
  description = "Map of API key id to {client, scopes, write, read}: the API_CLIENTS content of the functions."
  value = {
    for name, key in aws_api_gateway_api_key.this : key.id => {
      client = name
      scopes = sort(distinct(var.clients[name].scopes))
      write  = contains(var.clients[name].scopes, "write") ? var.clients[name].initiator_codes : []
      read   = contains(var.clients[name].scopes, "read") ? coalesce(var.clients[name].read_initiator_codes, var.clients[name].initiator_codes) : []
    }
  }
}

output "operations" {
  description = "Map of \"<METHOD> <path>\" to the operation id and the function serving it, as read from the OpenAPI document."
  value       = { for key, op in local.operations : key => { operation_id = op.operation_id, function = op.function } }
}

output "api_key_values" {
  description = "Map of client system name to API key value."
  value       = { for name, key in aws_api_gateway_api_key.this : name => key.value }
  sensitive   = true
}

output "usage_plan_ids" {
  description = "Map of client system name to usage plan id."
  value       = { for name, plan in aws_api_gateway_usage_plan.this : name => plan.id }
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = aws_cloudwatch_log_group.access.name
}
