variable "function_name" {
  description = "Name of the Lambda function (also names its role, log group and on-failure queue)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,52}$", var.function_name))
    error_message = "function_name must be 1-52 characters of [a-zA-Z0-9_-] (the on-failure queue and role names append suffixes)."
  }
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "package_path" {
  description = "Path of the deployment zip produced by `make package` (e.g. build/ingestion.zip)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must point at a .zip file."
  }
}

variable "handler" {
  description = "Handler in module.function form, e.g. ingestion.handler.lambda_handler."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler must look like package.module.function."
  }
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.13"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.13 (the project runtime) or python3.12."
  }
}

variable "architectures" {
  description = "Instruction set of the function, one of arm64 or x86_64 (a one-element list, as Lambda takes it). The package must hold native wheels for it."
  type        = list(string)
  default     = ["arm64"]

  validation {
    condition     = length(var.architectures) == 1 && contains(["arm64", "x86_64"], var.architectures[0])
    error_message = "architectures must be [\"arm64\"] or [\"x86_64\"]."
  }
}

variable "memory_size" {
  description = "Memory in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number between 1 and 900."
  }
}

variable "environment_variables" {
  description = "Environment variables of the function (encrypted at rest with kms_key_arn)."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for environment variables, the log group and the on-failure queue."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "log_retention_days" {
  description = "Retention of the /aws/lambda/<name> log group in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "policy_statements" {
  description = "Allow statements of the function's least-privilege role (logs, env decryption, tracing and the on-failure queue are added by the module)."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.policy_statements : can(regex("^[A-Za-z0-9]+$", s.sid))])
    error_message = "Every policy statement sid must be alphanumeric."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.actions) > 0 && alltrue([for a in s.actions : a != "*" && can(regex("^[a-z0-9-]+:[A-Za-z0-9*]+$", a))])])
    error_message = "Every policy statement needs service:Action actions, and \"*\" alone is not allowed."
  }

  validation {
    condition     = alltrue([for s in var.policy_statements : length(s.resources) > 0 && !contains(s.resources, "*")])
    error_message = "Every policy statement needs explicit resource ARNs (no \"*\")."
  }
}

variable "role_name" {
  description = "Name of the execution role; defaults to <function_name>-role."
  type        = string
  default     = null
}

variable "role_permissions_boundary" {
  description = "Optional permissions boundary ARN for the execution role."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; null leaves the function unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null ? true : var.reserved_concurrent_executions >= 0
    error_message = "reserved_concurrent_executions must be null or >= 0."
  }
}

variable "on_failure_queue_enabled" {
  description = "Create a KMS-encrypted SQS queue as on-failure destination for asynchronous invocations (needs async_invoke_config)."
  type        = bool
  default     = false

  validation {
    condition     = !var.on_failure_queue_enabled || var.async_invoke_config != null
    error_message = "on_failure_queue_enabled needs async_invoke_config (the queue is wired through the event invoke config)."
  }
}

variable "async_invoke_config" {
  description = "Asynchronous invocation settings (retries, maximum event age); null keeps the Lambda defaults and creates no event invoke config."
  type = object({
    maximum_retry_attempts       = optional(number, 2)
    maximum_event_age_in_seconds = optional(number, 21600)
  })
  default = null

  validation {
    condition = var.async_invoke_config == null ? true : (
      var.async_invoke_config.maximum_retry_attempts >= 0 && var.async_invoke_config.maximum_retry_attempts <= 2 &&
      var.async_invoke_config.maximum_event_age_in_seconds >= 60 && var.async_invoke_config.maximum_event_age_in_seconds <= 21600
    )
    error_message = "async_invoke_config.maximum_retry_attempts must be 0-2 and maximum_event_age_in_seconds 60-21600."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
