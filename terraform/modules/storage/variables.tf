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
  description = "Existing bucket (and key prefix, default s3-access/<bucket>/) for the archive's S3 server access logs. Null: the module creates <bucket_name>-logs, unless access_logging_disabled_reason is set."
  type = object({
    bucket = string
    prefix = optional(string)
  })
  default = null
}

variable "access_logging_disabled_reason" {
  description = "Switches server access logging off; says why (e.g. an emulator that does not deliver access logs). Null keeps it on, the default."
  type        = string
  default     = null

  validation {
    condition     = var.access_logging_disabled_reason == null ? true : length(trimspace(var.access_logging_disabled_reason)) >= 10
    error_message = "access_logging_disabled_reason must say why access logging is off (at least 10 characters)."
  }
}

variable "access_log_retention_days" {
  description = "Days the module's own access log bucket keeps log objects."
  type        = number
  default     = 2557

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number >= 1."
  }
}

variable "bucket_admin_principal_arns" {
  description = "Break-glass principals (IAM role/user ARNs, matched against aws:PrincipalArn; wildcards allowed) that alone may change the archive's Object Lock configuration, bucket policy and lifecycle, or bypass GOVERNANCE retention. Null: the principal applying Terraform (the role behind its session), so that Terraform can keep managing the policy."
  type        = list(string)
  default     = null

  validation {
    condition     = var.bucket_admin_principal_arns == null || (length(coalesce(var.bucket_admin_principal_arns, [])) > 0 && alltrue([for arn in coalesce(var.bucket_admin_principal_arns, []) : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(role|user)/.+$|^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:root$", arn))]))
    error_message = "bucket_admin_principal_arns must be null or a non-empty list of IAM role, user or root ARNs (an empty list would lock Terraform out of the bucket policy)."
  }
}

variable "object_writers" {
  description = "The only principals allowed to put objects, by a static name: role_arn and the key prefixes it may write (e.g. firehose = data/, errors/; digest = digests/). Empty: no PutObject restriction by principal."
  type = map(object({
    role_arn = string
    prefixes = list(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for w in values(var.object_writers) : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", w.role_arn)) && length(w.prefixes) > 0 && alltrue([for p in w.prefixes : endswith(p, "/")])])
    error_message = "Every object_writers entry needs an IAM role ARN and key prefixes ending in /."
  }
}

variable "replication" {
  description = "Opt-in replication of every object version: destination bucket ARN (versioned, ideally with its own COMPLIANCE Object Lock, in another region), the KMS key ARN replicas are encrypted with, and the replica storage class."
  type = object({
    destination_bucket_arn = string
    kms_key_arn            = string
    storage_class          = optional(string, "STANDARD")
  })
  default = null

  validation {
    condition     = var.replication == null || (can(regex("^arn:aws[a-zA-Z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", try(var.replication.destination_bucket_arn, ""))) && can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", try(var.replication.kms_key_arn, ""))))
    error_message = "replication needs an S3 bucket ARN (destination_bucket_arn) and a KMS key ARN (kms_key_arn)."
  }
}

variable "role_permissions_boundary" {
  description = "Optional permissions boundary ARN for the replication role."
  type        = string
  default     = null
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
