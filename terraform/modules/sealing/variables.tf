variable "name_prefix" {
  description = "Prefix of the rule names."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 characters of [a-zA-Z0-9_.-]."
  }
}

variable "rule_name" {
  description = "Name of the ObjectCreated rule (default <name_prefix>-archive-object-created)."
  type        = string
  default     = null

  validation {
    condition     = var.rule_name == null || can(regex("^[a-zA-Z0-9_.-]{1,64}$", var.rule_name))
    error_message = "rule_name must be 1-64 characters of [a-zA-Z0-9_.-]."
  }
}

variable "purpose" {
  description = "What the function does with each object (the rule's description)."
  type        = string
  default     = "record it in the digest ledger"
}

variable "target_id" {
  description = "Target id of the function on the rules."
  type        = string
  default     = "digest-function"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,64}$", var.target_id))
    error_message = "target_id must be 1-64 characters of [a-zA-Z0-9_.-]."
  }
}

variable "schedule_enabled" {
  description = "Also invoke the function every interval_minutes (the digest seal); false routes ObjectCreated only."
  type        = bool
  default     = true
}

variable "bucket_name" {
  description = "The archive bucket whose ObjectCreated events feed the ledger (its EventBridge notifications must be on)."
  type        = string
}

variable "prefixes" {
  description = "Key prefixes of the objects the digests seal."
  type        = list(string)
  default     = ["data/", "errors/"]

  validation {
    condition     = length(var.prefixes) > 0 && alltrue([for prefix in var.prefixes : endswith(prefix, "/")])
    error_message = "prefixes must be a non-empty list of folder prefixes ending in /."
  }
}

variable "interval_minutes" {
  description = "Minutes between two digests."
  type        = number
  default     = 60

  validation {
    condition     = var.interval_minutes >= 1 && var.interval_minutes <= 1440 && floor(var.interval_minutes) == var.interval_minutes
    error_message = "interval_minutes must be a whole number from 1 to 1440."
  }
}

variable "function_arn" {
  description = "ARN of the digest function."
  type        = string
}

variable "function_name" {
  description = "Name of the digest function (for the invoke permissions)."
  type        = string
}

variable "tags" {
  description = "Tags applied to the rules."
  type        = map(string)
  default     = {}
}
