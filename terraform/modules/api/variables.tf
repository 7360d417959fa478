variable "api_name" {
  description = "Name of the REST API (also prefixes keys, usage plans, log groups and roles)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.api_name))
    error_message = "api_name must be 1-40 characters of [a-zA-Z0-9_-]."
  }
}

variable "description" {
  description = "Description of the REST API."
  type        = string
  default     = "Audit as a Service ingestion API"
}

variable "stage_name" {
  description = "Name of the deployment stage (part of the invoke URL)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_]{1,64}$", var.stage_name))
    error_message = "stage_name must be 1-64 characters of [a-zA-Z0-9_]."
  }
}

variable "function_name" {
  description = "Name of the ingestion Lambda function (for the invoke permission)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be a Lambda function name."
  }
}

variable "function_invoke_arn" {
  description = "Invoke ARN of the ingestion Lambda function (AWS_PROXY integration URI)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:apigateway:[a-z0-9-]+:lambda:path/.+/invocations$", var.function_invoke_arn))
    error_message = "function_invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:<region>:lambda:path/.../invocations)."
  }
}

variable "max_batch_size" {
  description = "Maximum number of events in POST /v1/events/batch (maxItems of the batch model)."
  type        = number
  default     = 500

  validation {
    condition     = var.max_batch_size >= 1 && var.max_batch_size <= 500 && floor(var.max_batch_size) == var.max_batch_size
    error_message = "max_batch_size must be a whole number between 1 and 500."
  }
}

variable "integration_timeout_milliseconds" {
  description = "Lambda integration timeout in milliseconds."
  type        = number
  default     = 29000

  validation {
    condition     = var.integration_timeout_milliseconds >= 50 && var.integration_timeout_milliseconds <= 29000
    error_message = "integration_timeout_milliseconds must be between 50 and 29000."
  }
}

variable "clients" {
  description = "Client systems: one API key, usage plan and usage plan key each. initiator_codes are the initiator system codes the key may post."
  type = map(object({
    initiator_codes      = list(string)
    throttle_rate_limit  = optional(number, 50)
    throttle_burst_limit = optional(number, 100)
    quota_limit          = optional(number, 1000000)
    quota_period         = optional(string, "DAY")
  }))

  validation {
    condition     = length(var.clients) > 0 && alltrue([for name, c in var.clients : can(regex("^[a-zA-Z0-9_-]{1,64}$", name)) && length(c.initiator_codes) > 0])
    error_message = "clients must contain at least one client; names are 1-64 characters of [a-zA-Z0-9_-] and each client needs initiator_codes."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : contains(["DAY", "WEEK", "MONTH"], c.quota_period)])
    error_message = "quota_period must be DAY, WEEK or MONTH."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : c.throttle_rate_limit > 0 && c.throttle_burst_limit > 0 && c.quota_limit > 0])
    error_message = "throttle_rate_limit, throttle_burst_limit and quota_limit must be positive."
  }
}

variable "throttling" {
  description = "Stage-wide method throttling (requests per second and burst)."
  type = object({
    rate_limit  = optional(number, 100)
    burst_limit = optional(number, 200)
  })
  default = {}

  validation {
    condition     = var.throttling.rate_limit > 0 && var.throttling.burst_limit > 0
    error_message = "throttling.rate_limit and throttling.burst_limit must be positive."
  }
}

variable "execution_logging_level" {
  description = "Execution logging level of every method: OFF, ERROR or INFO (bodies are never logged)."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["OFF", "ERROR", "INFO"], var.execution_logging_level)
    error_message = "execution_logging_level must be OFF, ERROR or INFO."
  }
}

variable "xray_tracing_enabled" {
  description = "Enable X-Ray tracing on the stage."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the access log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "log_retention_days" {
  description = "Retention of the access log group in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "manage_account_cloudwatch_role" {
  description = "Create the account-level API Gateway CloudWatch Logs role (aws_api_gateway_account). Set false if another stack manages it."
  type        = bool
  default     = true
}

variable "role_permissions_boundary" {
  description = "Optional permissions boundary ARN for the API Gateway CloudWatch role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
