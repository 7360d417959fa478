variable "database_name" {
  description = "Glue database of the archive table."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.database_name))
    error_message = "database_name must be 1-255 characters of [a-z0-9_] (Athena folds names to lower case)."
  }
}

variable "table_name" {
  description = "Glue table over the archive's data/ prefix."
  type        = string
  default     = "events"

  validation {
    condition     = can(regex("^[a-z0-9_]{1,255}$", var.table_name))
    error_message = "table_name must be 1-255 characters of [a-z0-9_]."
  }
}

variable "archive_bucket_name" {
  description = "The archive bucket; the table reads its data/ prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.archive_bucket_name))
    error_message = "archive_bucket_name must be an S3 bucket name."
  }
}

variable "initiator_codes" {
  description = "The deployment's allow-list of initiator system codes: the enum projection of initiatorsystemcode."
  type        = list(string)

  validation {
    condition     = length(var.initiator_codes) > 0 && alltrue([for code in var.initiator_codes : can(regex("^[A-Z][A-Z0-9_]{1,31}$", code))])
    error_message = "initiator_codes must be a non-empty list of codes matching ^[A-Z][A-Z0-9_]{1,31}$."
  }
}

variable "years" {
  description = "The years the projection spans (the archive's first year to the last one queried); with the enums this bounds how many partitions an unfiltered query enumerates."
  type = object({
    first = optional(number, 2024)
    last  = optional(number, 2040)
  })
  default = {}

  validation {
    condition     = var.years.first >= 2000 && var.years.last >= var.years.first && var.years.last <= 2286 && floor(var.years.first) == var.years.first && floor(var.years.last) == var.years.last
    error_message = "years must be whole years with 2000 <= first <= last <= 2286."
  }
}

variable "workgroup_name" {
  description = "Athena workgroup of the reports."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,128}$", var.workgroup_name))
    error_message = "workgroup_name must be 1-128 characters of [a-zA-Z0-9._-]."
  }
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Athena cancels a query of this workgroup that scans more bytes (at least 10 MB)."
  type        = number
  default     = 107374182400 # 100 GiB

  validation {
    condition     = var.bytes_scanned_cutoff_per_query >= 10485760 && floor(var.bytes_scanned_cutoff_per_query) == var.bytes_scanned_cutoff_per_query
    error_message = "bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB)."
  }
}

variable "results_bucket_name" {
  description = "Bucket created for the workgroup's query results."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.results_bucket_name))
    error_message = "results_bucket_name must be an S3 bucket name."
  }
}

variable "results_prefix" {
  description = "Prefix of the query results in their bucket."
  type        = string
  default     = "results/"

  validation {
    condition     = can(regex("^([a-zA-Z0-9!_.*'()-]+/)+$", var.results_prefix))
    error_message = "results_prefix must be one or more path segments, each ending with /."
  }
}

variable "results_retention_days" {
  description = "Days before query results expire."
  type        = number
  default     = 30

  validation {
    condition     = var.results_retention_days >= 1 && floor(var.results_retention_days) == var.results_retention_days
    error_message = "results_retention_days must be a whole number of days, at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the query results (the workgroup enforces SSE_KMS with it, and the bucket refuses any other key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "account_id" {
  description = "The account that owns the results bucket (Athena checks it before writing)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "access_log_bucket" {
  description = "Existing bucket (and key prefix) for the results bucket's S3 server access logs; null for none."
  type = object({
    bucket = string
    prefix = optional(string)
  })
  default = null
}

variable "force_destroy" {
  description = "Let destroy delete the results bucket and workgroup with their contents (test stacks only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
