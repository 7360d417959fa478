variable "topic_name" {
  description = "Name of the SNS alerts topic."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,256}$", var.topic_name))
    error_message = "topic_name must be 1-256 characters of [a-zA-Z0-9_-]."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key that encrypts the topic."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "email_subscriptions" {
  description = "E-mail addresses subscribed to the topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "email_subscriptions must contain e-mail addresses."
  }
}

variable "alarm_name_prefix" {
  description = "Prefix of every alarm name."
  type        = string

  validation {
    condition     = length(var.alarm_name_prefix) > 0 && length(var.alarm_name_prefix) <= 200
    error_message = "alarm_name_prefix must be 1-200 characters."
  }
}

variable "alarm_period_seconds" {
  description = "Period of every alarm in seconds."
  type        = number
  default     = 300

  validation {
    condition     = contains([60, 300, 900, 3600], var.alarm_period_seconds)
    error_message = "alarm_period_seconds must be 60, 300, 900 or 3600."
  }
}

variable "function_names" {
  description = "Map of short key (e.g. ingestion) to Lambda function name; each gets Errors and Throttles alarms."
  type        = map(string)
  default     = {}
}

variable "alerting_function_name" {
  description = "Name of the asynchronously invoked alerting function (AsyncEventsDropped alarm); null to skip."
  type        = string
  default     = null
}

variable "alerting_on_failure_queue_name" {
  description = "Name of the alerting function's on-failure SQS queue (queue depth alarm); null to skip."
  type        = string
  default     = null
}

variable "index_write_failures_service" {
  description = "Powertools service name of the ingestion function, whose IndexWriteFailures metric is alarmed; null to skip."
  type        = string
  default     = null
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' own (Powertools) metrics."
  type        = string
  default     = "AuditService"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_./#:-]{1,255}$", var.metrics_namespace))
    error_message = "metrics_namespace must be 1-255 characters of [a-zA-Z0-9_./#:-]."
  }
}

variable "delivery_stream_name" {
  description = "Name of the Firehose stream (freshness, delivery and processing alarms); null to skip."
  type        = string
  default     = null
}

variable "firehose_data_freshness_threshold_seconds" {
  description = "Alarm when the oldest undelivered Firehose record is older than this many seconds."
  type        = number
  default     = 900

  validation {
    condition     = var.firehose_data_freshness_threshold_seconds >= 60
    error_message = "firehose_data_freshness_threshold_seconds must be >= 60."
  }
}

variable "api" {
  description = "REST API name and stage (5XXError alarm); null to skip."
  type = object({
    name       = string
    stage_name = string
  })
  default = null
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
