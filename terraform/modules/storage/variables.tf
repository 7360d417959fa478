variable "bucket_name" {
  description = "Name of the archive bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)) && !can(regex("\\.\\.|^xn--|-s3alias$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lower-case letters, digits, dots and hyphens."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key used for SSE-KMS (default encryption and the upload policy)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "object_lock_mode" {
  description = "Default Object Lock retention mode: COMPLIANCE (nobody, not even root, can shorten it) or GOVERNANCE (privileged users can bypass it)."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }
}

variable "object_lock_retention_days" {
  description = "Default Object Lock retention period in days for every new object version."
  type        = number
  default     = 2557

  validation {
    condition     = var.object_lock_retention_days >= 1 && var.object_lock_retention_days <= 36500 && floor(var.object_lock_retention_days) == var.object_lock_retention_days
    error_message = "object_lock_retention_days must be a whole number between 1 and 36500."
  }
}

variable "lifecycle_enabled" {
  description = "Create the lifecycle configuration. Only disable it for local emulators; production archives need it."
  type        = bool
  default     = true
}

variable "lifecycle_rules" {
  description = "Lifecycle of archived objects: STANDARD_IA after infrequent_access_days, archive_storage_class after archive_days, expiry after expiration_days (must be >= the Object Lock retention), noncurrent versions expire after noncurrent_version_expiration_days."
  type = object({
    infrequent_access_days                 = optional(number, 90)
    archive_storage_class                  = optional(string, "DEEP_ARCHIVE")
    archive_days                           = optional(number, 365)
    expiration_days                        = optional(number, 2557)
    noncurrent_version_expiration_days     = optional(number, 30)
    abort_incomplete_multipart_upload_days = optional(number, 7)
    transition_default_minimum_object_size = optional(string, "all_storage_classes_128K")
  })
  default = {}

  validation {
    condition     = contains(["GLACIER", "DEEP_ARCHIVE"], var.lifecycle_rules.archive_storage_class)
    error_message = "lifecycle_rules.archive_storage_class must be GLACIER or DEEP_ARCHIVE."
  }

  validation {
    condition     = var.lifecycle_rules.infrequent_access_days >= 30 && var.lifecycle_rules.archive_days >= var.lifecycle_rules.infrequent_access_days + 30
    error_message = "lifecycle_rules.infrequent_access_days must be >= 30 and lifecycle_rules.archive_days must be at least 30 days after it (S3 minimums)."
  }

  validation {
    condition     = var.lifecycle_rules.expiration_days >= var.object_lock_retention_days && var.lifecycle_rules.expiration_days > var.lifecycle_rules.archive_days
    error_message = "lifecycle_rules.expiration_days must be >= object_lock_retention_days and after lifecycle_rules.archive_days."
  }

  validation {
    condition     = var.lifecycle_rules.noncurrent_version_expiration_days >= 1 && var.lifecycle_rules.abort_incomplete_multipart_upload_days >= 1
    error_message = "lifecycle_rules.noncurrent_version_expiration_days and lifecycle_rules.abort_incomplete_multipart_upload_days must be >= 1."
  }

  validation {
    condition     = contains(["all_storage_classes_128K", "varies_by_storage_class"], var.lifecycle_rules.transition_default_minimum_object_size)
    error_message = "lifecycle_rules.transition_default_minimum_object_size must be all_storage_classes_128K or varies_by_storage_class."
  }
}

variable "deny_unencrypted_uploads" {
  description = "Bucket policy denies PutObject without SSE-KMS or with another KMS key than kms_key_arn."
  type        = bool
  default     = true
}

variable "access_log_bucket" {
  description = "Optional server access logging target: existing bucket name and key prefix (default s3-access/<bucket>/)."
  type = object({
    bucket = string
    prefix = optional(string)
  })
  default = null
}

variable "notification_function" {
  description = "Optional Lambda function invoked on s3:ObjectCreated:* under filter_prefix (the alerting function)."
  type = object({
    arn           = string
    name          = string
    filter_prefix = optional(string, "data/")
  })
  default = null
}

variable "eventbridge_enabled" {
  description = "Send the bucket's S3 events to EventBridge as well (the digest ledger matches ObjectCreated there)."
  type        = bool
  default     = false
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty bucket. Locked object versions still cannot be deleted in COMPLIANCE mode."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to the bucket."
  type        = map(string)
  default     = {}
}
