variable "stream_name" {
  description = "Name of the Firehose delivery stream."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,55}$", var.stream_name))
    error_message = "stream_name must be 1-55 characters of [a-zA-Z0-9_.-] (the role name appends -firehose)."
  }
}

variable "bucket_arn" {
  description = "ARN of the archive bucket (destination)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_arn))
    error_message = "bucket_arn must be an S3 bucket ARN (arn:aws:s3:::<bucket>)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for stream SSE, S3 objects and the log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "processor_function_arn" {
  description = "ARN of the transformation Lambda function (Firehose data processor)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[a-zA-Z0-9_-]+$", var.processor_function_arn))
    error_message = "processor_function_arn must be an unqualified Lambda function ARN."
  }
}

variable "prefix" {
  description = "S3 prefix with dynamic partitioning keys (docs/design.md)."
  type        = string
  default     = "data/initiatorsystemcode=!{partitionKeyFromLambda:initiatorsystemcode}/eventtype=!{partitionKeyFromLambda:eventtype}/year=!{partitionKeyFromLambda:year}/month=!{partitionKeyFromLambda:month}/day=!{partitionKeyFromLambda:day}/"

  validation {
    condition     = endswith(var.prefix, "/") && strcontains(var.prefix, "!{partitionKeyFrom")
    error_message = "prefix must end with / and use partitionKeyFromLambda/partitionKeyFromQuery expressions (dynamic partitioning)."
  }
}

variable "error_output_prefix" {
  description = "S3 prefix for records Firehose could not process or deliver (docs/design.md)."
  type        = string
  default     = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"

  validation {
    condition     = endswith(var.error_output_prefix, "/") && strcontains(var.error_output_prefix, "!{firehose:error-output-type}")
    error_message = "error_output_prefix must end with / and contain !{firehose:error-output-type}."
  }
}

variable "buffering_size" {
  description = "S3 buffering size in MiB; dynamic partitioning requires at least 64."
  type        = number
  default     = 64

  validation {
    condition     = var.buffering_size >= 64 && var.buffering_size <= 128
    error_message = "buffering_size must be between 64 and 128 MiB (dynamic partitioning requires >= 64)."
  }
}

variable "buffering_interval" {
  description = "S3 buffering interval in seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.buffering_interval >= 0 && var.buffering_interval <= 900
    error_message = "buffering_interval must be between 0 and 900 seconds."
  }
}

variable "processor_buffer_size" {
  description = "Lambda processor BufferSizeInMBs (1-3); small batches keep the processor response under the 6 MB Lambda payload limit."
  type        = number
  default     = 1

  validation {
    condition     = var.processor_buffer_size >= 0.2 && var.processor_buffer_size <= 3
    error_message = "processor_buffer_size must be between 0.2 and 3 MB."
  }
}

variable "processor_buffer_interval" {
  description = "Lambda processor BufferIntervalInSeconds."
  type        = number
  default     = 60

  validation {
    condition     = var.processor_buffer_interval >= 0 && var.processor_buffer_interval <= 900
    error_message = "processor_buffer_interval must be between 0 and 900 seconds."
  }
}

variable "dynamic_partitioning_retry_duration" {
  description = "Seconds Firehose retries delivering a partition before sending it to the error prefix."
  type        = number
  default     = 300

  validation {
    condition     = var.dynamic_partitioning_retry_duration >= 0 && var.dynamic_partitioning_retry_duration <= 7200
    error_message = "dynamic_partitioning_retry_duration must be between 0 and 7200 seconds."
  }
}

variable "log_retention_days" {
  description = "Retention of the Firehose error log group in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "stream_encryption_enabled" {
  description = "Encrypt records at rest inside the stream with the customer-managed key (SSE CUSTOMER_MANAGED_CMK). Only disable for emulators that do not implement stream encryption; S3 objects stay SSE-KMS either way."
  type        = bool
  default     = true
}

variable "role_permissions_boundary" {
  description = "Optional permissions boundary ARN for the delivery role."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
