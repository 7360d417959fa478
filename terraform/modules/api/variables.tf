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

variable "openapi_document" {
  description = "The OpenAPI 3 document (YAML or JSON text) the REST API is built from; every operation names its function in x-aaas-function."
  type        = string

  validation {
    condition     = can(yamldecode(var.openapi_document).paths) && startswith(tostring(try(yamldecode(var.openapi_document).openapi, "")), "3.")
    error_message = "openapi_document must be an OpenAPI 3 document with paths."
  }

  validation {
    condition = alltrue(flatten([
      for path, item in try(yamldecode(var.openapi_document).paths, {}) : [
        for method, operation in item : can(operation.operationId) && can(operation["x-aaas-function"])
        if contains(["get", "put", "post", "delete", "patch", "head", "options"], method)
      ]
    ]))
    error_message = "Every operation of openapi_document needs an operationId and an x-aaas-function."
  }
}

variable "functions" {
  description = "The Lambda functions serving the API, by the name operations use in x-aaas-function."
  type = map(object({
    function_name = string
    invoke_arn    = string
  }))

  validation {
    condition     = alltrue([for f in values(var.functions) : can(regex("^arn:aws[a-zA-Z-]*:apigateway:[a-z0-9-]+:lambda:path/.+/invocations$", f.invoke_arn))])
    error_message = "Each function's invoke_arn must be a Lambda invoke ARN (arn:aws:apigateway:<region>:lambda:path/.../invocations)."
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
  description = "Client systems: a usage plan each, and an API key (with its usage plan key) per live key generation: keys.current (default \"1\") and, during a rotation, keys.next. initiator_codes are the initiator systems the client may post (scope write); read_initiator_codes those it may read (scope read; default initiator_codes)."
  type = map(object({
    initiator_codes      = optional(list(string), [])
    read_initiator_codes = optional(list(string))
    scopes               = optional(list(string), ["write"])
    throttle_rate_limit  = optional(number, 50)
    throttle_burst_limit = optional(number, 100)
    quota_limit          = optional(number, 1000000)
    quota_period         = optional(string, "DAY")
    keys = optional(object({
      current = optional(string, "1")
      next    = optional(string)
    }), {})
  }))

  validation {
    condition     = length(var.clients) > 0 && alltrue([for name, c in var.clients : can(regex("^[a-zA-Z0-9_-]{1,64}$", name))])
    error_message = "clients must contain at least one client; names are 1-64 characters of [a-zA-Z0-9_-]."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : length(c.scopes) > 0 && length(setsubtract(c.scopes, ["write", "read"])) == 0
      && (!contains(c.scopes, "write") || length(c.initiator_codes) > 0)
      && (!contains(c.scopes, "read") || length(coalesce(c.read_initiator_codes, c.initiator_codes)) > 0)
    ])
    error_message = "Each client's scopes are write and/or read; a write client needs initiator_codes and a read client needs read_initiator_codes (or initiator_codes)."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : contains(["DAY", "WEEK", "MONTH"], c.quota_period)])
    error_message = "quota_period must be DAY, WEEK or MONTH."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : c.throttle_rate_limit > 0 && c.throttle_burst_limit > 0 && c.quota_limit > 0])
    error_message = "throttle_rate_limit, throttle_burst_limit and quota_limit must be positive."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : can(regex("^[a-z0-9][a-z0-9_.-]{0,31}$", c.keys.current))
      && (c.keys.next == null || (can(regex("^[a-z0-9][a-z0-9_.-]{0,31}$", coalesce(c.keys.next, "-"))) && c.keys.next != c.keys.current))
    ])
    error_message = "keys.current (and keys.next, when set) must be a generation label of 1-32 characters of [a-z0-9_.-], and next must differ from current."
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
