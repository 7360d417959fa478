variable "name_prefix" {
  description = "Prefix of every resource name (lower case; the archive bucket is <name_prefix>-archive-<account id>)."
  type        = string
  default     = "aaas"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "tags" {
  description = "Tags added to every resource (merged into the provider default_tags)."
  type        = map(string)
  default     = {}
}

variable "initiator_system_codes" {
  description = "Initiator system codes accepted by the service (ALLOWED_INITIATOR_CODES)."
  type        = list(string)
  default     = ["CRM_WEB", "CRM_MBL", "ERP_WEB"]

  validation {
    condition     = length(var.initiator_system_codes) > 0 && alltrue([for c in var.initiator_system_codes : can(regex("^[A-Z][A-Z0-9_]{1,63}$", c))])
    error_message = "initiator_system_codes must be a non-empty list of upper-case codes ([A-Z][A-Z0-9_]{1,63}), e.g. CRM_WEB."
  }

  validation {
    condition     = length(distinct(var.initiator_system_codes)) == length(var.initiator_system_codes)
    error_message = "initiator_system_codes must not contain duplicates."
  }
}

variable "clients" {
  description = "Client systems calling the API: a usage plan and one API key per live key generation each. initiator_codes: the initiator systems the client may post (scope write). read_initiator_codes: those it may read (scope read; default initiator_codes). scopes: any of write, read (default [\"write\"]). keys: the live key generations, current (default \"1\") and, during a rotation, next; both keys are the same client (tenant, cursors, idempotency). Rotate: set next, apply, switch the client to the next key, set current = the next label and drop next, apply."
  type = map(object({
    initiator_codes      = optional(list(string), [])
    read_initiator_codes = optional(list(string))
    scopes               = optional(list(string), ["write"])
    throttle_rate_limit  = optional(number, 50)
    throttle_burst_limit = optional(number, 100)
    quota_limit          = optional(number, 1000000)
    quota_period         = optional(string, "DAY")
    # Live key generations: rotate by adding next, switching the client over, then making next current.
    keys = optional(object({
      current = optional(string, "1")
      next    = optional(string)
    }), {})
  }))
  default = {
    crm = { initiator_codes = ["CRM_WEB", "CRM_MBL"] }
    erp = { initiator_codes = ["ERP_WEB"] }
  }

  validation {
    condition     = length(var.clients) > 0 && alltrue([for name, c in var.clients : can(regex("^[a-z0-9][a-z0-9_-]{0,63}$", name))])
    error_message = "clients must contain at least one client; names are lower-case [a-z0-9_-]."
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
    condition     = alltrue(flatten([for c in values(var.clients) : [for code in concat(c.initiator_codes, coalesce(c.read_initiator_codes, [])) : contains(var.initiator_system_codes, code)]]))
    error_message = "Every initiator code of every client (initiator_codes and read_initiator_codes) must be listed in initiator_system_codes."
  }

  validation {
    condition     = alltrue([for c in values(var.clients) : contains(["DAY", "WEEK", "MONTH"], c.quota_period) && c.throttle_rate_limit > 0 && c.throttle_burst_limit > 0 && c.quota_limit > 0])
    error_message = "Client quota_period must be DAY, WEEK or MONTH and throttle/quota limits must be positive."
  }

  validation {
    condition = alltrue([
      for c in values(var.clients) : can(regex("^[a-z0-9][a-z0-9_.-]{0,31}$", c.keys.current))
      && (c.keys.next == null || (can(regex("^[a-z0-9][a-z0-9_.-]{0,31}$", coalesce(c.keys.next, "-"))) && c.keys.next != c.keys.current))
    ])
    error_message = "Each client's keys.current (and keys.next, when set) is a generation label of 1-32 characters of [a-z0-9_.-]; next must differ from current."
  }
}

variable "cursor_ttl_seconds" {
  description = "How long a search cursor (the `next` of GET /v1/events) stays valid."
  type        = number
  default     = 3600

  validation {
    condition     = var.cursor_ttl_seconds >= 60 && var.cursor_ttl_seconds <= 604800 && floor(var.cursor_ttl_seconds) == var.cursor_ttl_seconds
    error_message = "cursor_ttl_seconds must be a whole number from 60 to 604800 (7 days)."
  }
}

variable "local_endpoint" {
  description = "Edge URL of a LocalStack the stack is applied to (e.g. http://127.0.0.1:4566); sets the api_local_url output. Leave null on AWS."
  type        = string
  default     = null

  validation {
    condition     = var.local_endpoint == null || can(regex("^https?://[^/]+$", var.local_endpoint))
    error_message = "local_endpoint must be a URL such as http://127.0.0.1:4566 (no path, no trailing slash)."
  }
}

variable "environment" {
  description = "What this stack is: production, staging, development, test or local. production refuses GOVERNANCE Object Lock. The default is the strict one."
  type        = string
  default     = "production"

  validation {
    condition     = contains(["production", "staging", "development", "test", "local"], var.environment)
    error_message = "environment must be production, staging, development, test or local."
  }
}

variable "object_lock_mode" {
  description = "Default Object Lock retention mode of the archive: COMPLIANCE (required when environment = production) or GOVERNANCE (test stacks that must be torn down)."
  type        = string
  default     = "COMPLIANCE"

  validation {
    condition     = contains(["COMPLIANCE", "GOVERNANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be COMPLIANCE or GOVERNANCE."
  }

  validation {
    condition     = var.environment != "production" || var.object_lock_mode == "COMPLIANCE"
    error_message = "environment = production requires object_lock_mode = COMPLIANCE: GOVERNANCE retention can be bypassed."
  }
}

variable "admin_principal_arns" {
  description = "Break-glass administrators (IAM role/user ARNs): the only principals that may change the archive's Object Lock, bucket policy and lifecycle or bypass GOVERNANCE retention, and that may have Lambda, DynamoDB and Firehose create grants on the data key. Null: the principal applying Terraform (the role behind its session)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.admin_principal_arns == null || length(coalesce(var.admin_principal_arns, [])) > 0
    error_message = "admin_principal_arns must be null or non-empty (an empty list would lock Terraform out of the bucket policy)."
  }
}

variable "archive_access_logging_disabled_reason" {
  description = "Switches the archive's S3 server access logging off, saying why. Null (default): logs go to access_log_bucket, or to a <archive>-logs bucket the stack creates."
  type        = string
  default     = null
}

variable "archive_replication" {
  description = "Opt-in replication of the archive: destination_bucket_arn (versioned, with its own COMPLIANCE Object Lock, another region), kms_key_arn for the replicas, optional storage_class."
  type = object({
    destination_bucket_arn = string
    kms_key_arn            = string
    storage_class          = optional(string, "STANDARD")
  })
  default = null
}

variable "object_lock_retention_days" {
  description = "Default Object Lock retention of archived events in days (2557 = 7 years)."
  type        = number
  default     = 2557

  validation {
    condition     = var.object_lock_retention_days >= 1 && var.object_lock_retention_days <= 36500 && floor(var.object_lock_retention_days) == var.object_lock_retention_days
    error_message = "object_lock_retention_days must be a whole number between 1 and 36500."
  }
}

variable "archive_lifecycle_enabled" {
  description = "Create the archive lifecycle configuration. Keep true on AWS; LocalStack does not run lifecycles and applying one is slow there."
  type        = bool
  default     = true
}

variable "lifecycle_infrequent_access_days" {
  description = "Days after creation when archived objects move to STANDARD_IA (>= 30)."
  type        = number
  default     = 90

  validation {
    condition     = var.lifecycle_infrequent_access_days >= 30 && floor(var.lifecycle_infrequent_access_days) == var.lifecycle_infrequent_access_days
    error_message = "lifecycle_infrequent_access_days must be a whole number >= 30."
  }
}

variable "lifecycle_archive_storage_class" {
  description = "Archive storage class after lifecycle_archive_days: GLACIER or DEEP_ARCHIVE."
  type        = string
  default     = "DEEP_ARCHIVE"

  validation {
    condition     = contains(["GLACIER", "DEEP_ARCHIVE"], var.lifecycle_archive_storage_class)
    error_message = "lifecycle_archive_storage_class must be GLACIER or DEEP_ARCHIVE."
  }
}

variable "lifecycle_archive_days" {
  description = "Days after creation when archived objects move to lifecycle_archive_storage_class (>= lifecycle_infrequent_access_days + 30)."
  type        = number
  default     = 365

  validation {
    condition     = var.lifecycle_archive_days >= var.lifecycle_infrequent_access_days + 30
    error_message = "lifecycle_archive_days must be at least 30 days after lifecycle_infrequent_access_days."
  }
}

variable "lifecycle_expiration_days" {
  description = "Days after creation when archived objects expire; must be >= object_lock_retention_days."
  type        = number
  default     = 2557

  validation {
    condition     = var.lifecycle_expiration_days >= var.object_lock_retention_days && var.lifecycle_expiration_days > var.lifecycle_archive_days
    error_message = "lifecycle_expiration_days must be >= object_lock_retention_days and greater than lifecycle_archive_days."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions expire (once their Object Lock retention allows it)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "access_log_bucket" {
  description = "Existing bucket (and key prefix) receiving the archive's S3 server access logs; null: the stack creates <archive>-logs (unless archive_access_logging_disabled_reason is set)."
  type = object({
    bucket = string
    prefix = optional(string)
  })
  default = null

  validation {
    condition     = var.access_log_bucket == null ? true : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_log_bucket.bucket))
    error_message = "access_log_bucket.bucket must be a valid S3 bucket name."
  }
}

variable "archive_force_destroy" {
  description = "Let terraform destroy empty the archive bucket (only possible for objects whose GOVERNANCE retention can be bypassed or has expired). Never true in production."
  type        = bool
  default     = false
}

variable "index_retention_days" {
  description = "Days index items (and alert dedupe items) live before DynamoDB TTL removes them (INDEX_RETENTION_DAYS)."
  type        = number
  default     = 400

  validation {
    condition     = var.index_retention_days >= 1 && var.index_retention_days <= 36500 && floor(var.index_retention_days) == var.index_retention_days
    error_message = "index_retention_days must be a whole number between 1 and 36500."
  }
}

variable "digest_interval_minutes" {
  description = "Minutes between two signed digests of the archive (an EventBridge schedule; every period gets one, empty or not)."
  type        = number
  default     = 60

  validation {
    condition     = var.digest_interval_minutes >= 1 && var.digest_interval_minutes <= 1440 && floor(var.digest_interval_minutes) == var.digest_interval_minutes
    error_message = "digest_interval_minutes must be a whole number from 1 to 1440."
  }
}

variable "deletion_protection" {
  description = "Enable DynamoDB deletion protection on the index table."
  type        = bool
  default     = true
}

variable "firehose_buffering" {
  description = "Firehose S3 buffering: size in MiB (>= 64, required by dynamic partitioning) and interval in seconds."
  type = object({
    size_in_mb          = optional(number, 64)
    interval_in_seconds = optional(number, 300)
  })
  default = {}

  validation {
    condition     = var.firehose_buffering.size_in_mb >= 64 && var.firehose_buffering.size_in_mb <= 128
    error_message = "firehose_buffering.size_in_mb must be between 64 and 128 (dynamic partitioning requires >= 64)."
  }

  validation {
    condition     = var.firehose_buffering.interval_in_seconds >= 0 && var.firehose_buffering.interval_in_seconds <= 900
    error_message = "firehose_buffering.interval_in_seconds must be between 0 and 900."
  }
}

variable "firehose_stream_encryption_enabled" {
  description = "Encrypt records inside the Firehose stream with the customer-managed key. Keep true on AWS; only for emulators without Firehose SSE. Archived S3 objects are SSE-KMS regardless."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention in days of every log group (Lambda, Firehose, API access logs)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the CloudWatch Logs values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "alert_rules" {
  description = "Alert rules document (JSON string, docs/design.md) passed to the alerting function as ALERT_RULES."
  type        = string
  default     = <<-EOT
    {
      "always_alert": {"event_types": ["ACCOUNT_LOCKOUT", "MULTIPLE_LOGIN_FAILED", "UNUSUAL_LOGIN_LOCATION",
                                       "USER_ACCOUNT_PRIVILEGES_ESCALATED", "DOCUMENT_INTEGRITY_FAILED"]},
      "thresholds": [{"name": "login-failed-burst", "event_type": "LOGIN_FAILED", "group_by": "requestorid",
                      "count": 5, "window_minutes": 10}],
      "watchlist": {"requestorids": [], "requestorips": []},
      "dedupe_window_minutes": 60
    }
  EOT

  validation {
    condition     = can(jsondecode(var.alert_rules))
    error_message = "alert_rules must be a valid JSON document."
  }

  validation {
    condition = try(
      alltrue([for k in ["always_alert", "thresholds", "watchlist", "dedupe_window_minutes"] : contains(keys(jsondecode(var.alert_rules)), k)]),
      false,
    )
    error_message = "alert_rules must be a JSON object with the keys always_alert, thresholds, watchlist and dedupe_window_minutes."
  }

  validation {
    condition = try(
      can(tolist(jsondecode(var.alert_rules).always_alert.event_types)) &&
      alltrue([for t in jsondecode(var.alert_rules).thresholds : alltrue([for k in ["name", "event_type", "group_by", "count", "window_minutes"] : contains(keys(t), k)])]) &&
      jsondecode(var.alert_rules).dedupe_window_minutes >= 0,
      false,
    )
    error_message = "alert_rules: always_alert.event_types must be a list, every threshold needs name, event_type, group_by, count and window_minutes, and dedupe_window_minutes must be >= 0."
  }
}

variable "alert_email_subscriptions" {
  description = "E-mail addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_email_subscriptions must contain e-mail addresses."
  }
}

variable "function_settings" {
  description = "Memory (MB), timeout (s) and optional reserved concurrency of each Lambda function."
  type = object({
    ingestion = optional(object({
      memory_size                    = optional(number, 512)
      timeout                        = optional(number, 15)
      reserved_concurrent_executions = optional(number)
    }), {})
    transformation = optional(object({
      memory_size                    = optional(number, 512)
      timeout                        = optional(number, 120)
      reserved_concurrent_executions = optional(number)
    }), {})
    alerting = optional(object({
      memory_size                    = optional(number, 256)
      timeout                        = optional(number, 60)
      reserved_concurrent_executions = optional(number)
    }), {})
    query = optional(object({
      memory_size                    = optional(number, 512)
      timeout                        = optional(number, 15)
      reserved_concurrent_executions = optional(number)
    }), {})
    digest = optional(object({
      memory_size                    = optional(number, 1024)
      timeout                        = optional(number, 300)
      reserved_concurrent_executions = optional(number)
    }), {})
    indexer = optional(object({
      memory_size                    = optional(number, 512)
      timeout                        = optional(number, 300)
      reserved_concurrent_executions = optional(number)
    }), {})
    # Serves POST/GET /v1/exports (quick) and runs the export worker (the timeout is for that).
    export = optional(object({
      memory_size                    = optional(number, 1024)
      timeout                        = optional(number, 900)
      reserved_concurrent_executions = optional(number)
    }), {})
  })
  default = {}

  validation {
    condition = alltrue([for f in [var.function_settings.ingestion, var.function_settings.transformation, var.function_settings.alerting, var.function_settings.query, var.function_settings.digest, var.function_settings.indexer, var.function_settings.export] :
    f.memory_size >= 128 && f.memory_size <= 10240 && f.timeout >= 1 && f.timeout <= 900])
    error_message = "function_settings: memory_size must be 128-10240 MB and timeout 1-900 s."
  }

  validation {
    condition     = var.function_settings.ingestion.timeout <= 29 && var.function_settings.query.timeout <= 29
    error_message = "function_settings.ingestion.timeout and function_settings.query.timeout must be <= 29 s (the API Gateway integration timeout)."
  }

  validation {
    condition     = var.function_settings.transformation.timeout >= 60
    error_message = "function_settings.transformation.timeout must be >= 60 s (Firehose recommends at least 1 minute for processors)."
  }
}

variable "function_log_level" {
  description = "POWERTOOLS_LOG_LEVEL of every function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.function_log_level)
    error_message = "function_log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "tracing_enabled" {
  description = "Enable X-Ray tracing on the functions (Active) and the API stage."
  type        = bool
  default     = true
}

variable "lambda_architecture" {
  description = "Instruction set of every function: arm64 (Graviton, cheaper per ms) or x86_64. `make package LAMBDA_ARCHITECTURE=...` must build the zips for the same one, because they hold native wheels."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "package_dir" {
  description = "Folder with the <function>.zip packages built by `make package`; a relative path is relative to this configuration (path.root)."
  type        = string
  default     = "../build"

  validation {
    condition     = length(trimspace(var.package_dir)) > 0
    error_message = "package_dir must not be empty."
  }
}

variable "api_stage_name" {
  description = "API Gateway stage name (part of api_invoke_url)."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_]{1,64}$", var.api_stage_name))
    error_message = "api_stage_name must be 1-64 characters of [a-zA-Z0-9_]."
  }
}

variable "api_throttling" {
  description = "Stage-wide API throttling: steady-state requests per second and burst."
  type = object({
    rate_limit  = optional(number, 100)
    burst_limit = optional(number, 200)
  })
  default = {}

  validation {
    condition     = var.api_throttling.rate_limit > 0 && var.api_throttling.burst_limit > 0
    error_message = "api_throttling.rate_limit and api_throttling.burst_limit must be positive."
  }
}

variable "manage_api_gateway_account" {
  description = "Manage the account-level API Gateway CloudWatch Logs role (aws_api_gateway_account). Set false if another stack in this account/region owns it."
  type        = bool
  default     = true
}

variable "export_url_expiry_seconds" {
  description = "How long the pre-signed URLs of a ready export (GET /v1/exports/{exportid}) stay valid. A URL signed with the function's temporary credentials stops working when they expire, whichever comes first."
  type        = number
  default     = 3600

  validation {
    condition     = var.export_url_expiry_seconds >= 60 && var.export_url_expiry_seconds <= 43200 && floor(var.export_url_expiry_seconds) == var.export_url_expiry_seconds
    error_message = "export_url_expiry_seconds must be a whole number from 60 to 43200 (12 hours)."
  }
}

variable "analytics_enabled" {
  description = "Create the analytics module: a Glue table with partition projection over the archive, an Athena workgroup with KMS-encrypted results and the standard reports as named queries."
  type        = bool
  default     = false
}

variable "analytics" {
  description = "Settings of the analytics module (when analytics_enabled): the IAM roles of the people who run reports (they may use the data key through S3 to read the archive and write results), the per-query scan limit, the projected years and how long results are kept."
  type = object({
    reader_role_arns               = optional(list(string), [])
    bytes_scanned_cutoff_per_query = optional(number, 107374182400)
    years = optional(object({
      first = optional(number, 2024)
      last  = optional(number, 2040)
    }), {})
    results_retention_days = optional(number, 30)
  })
  default = {}

  validation {
    condition     = alltrue([for arn in var.analytics.reader_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "analytics.reader_role_arns must be IAM role ARNs."
  }
}
