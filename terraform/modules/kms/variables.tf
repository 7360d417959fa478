variable "alias" {
  description = "Alias of the key, without the `alias/` prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias must be 1-250 characters of [a-zA-Z0-9/_-], without the alias/ prefix, and must not start with aws/."
  }
}

variable "description" {
  description = "Description of the key."
  type        = string
  default     = "Audit service customer-managed key"
}

variable "deletion_window_in_days" {
  description = "Waiting period, in days, before a scheduled key deletion completes."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic key rotation period in days; null keeps the AWS default (365)."
  type        = number
  default     = null

  validation {
    condition     = var.rotation_period_in_days == null ? true : (var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560 && floor(var.rotation_period_in_days) == var.rotation_period_in_days)
    error_message = "rotation_period_in_days must be null or a whole number between 90 and 2560."
  }
}

variable "key_users" {
  description = "Roles that use the data key, by a static name: role_arn, the services they use it through (kms:ViaService: dynamodb, firehose, lambda, s3, sns, sqs) and decrypt_only (no kms:GenerateDataKey: the role only reads)."
  type = map(object({
    role_arn     = string
    via_services = list(string)
    decrypt_only = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for u in values(var.key_users) : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", u.role_arn))])
    error_message = "Every key_users role_arn must be an IAM role ARN."
  }

  validation {
    condition     = alltrue([for u in values(var.key_users) : length(u.via_services) > 0 && length(setsubtract(u.via_services, ["dynamodb", "firehose", "lambda", "s3", "sns", "sqs"])) == 0])
    error_message = "Every key_users via_services must be a non-empty list of dynamodb, firehose, lambda, s3, sns and sqs."
  }

  validation {
    condition     = alltrue([for name in keys(var.key_users) : can(regex("^[a-z][a-z0-9_-]*$", name))])
    error_message = "key_users names must be lower-case identifiers (they name the policy statements)."
  }
}

variable "deployer_arns" {
  description = "Principals (IAM role or user ARNs) that deploy the stack: they may let Lambda, DynamoDB and Firehose create grants on the key for their resources, and have Lambda encrypt function environments."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.deployer_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(role|user)/.+$|^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:root$", arn))])
    error_message = "deployer_arns must be IAM role, user or account root ARNs (not assumed-role session ARNs)."
  }
}

variable "allow_cloudwatch_logs" {
  description = "Allow CloudWatch Logs of this region to use the key for the log groups in cloudwatch_logs_log_groups."
  type        = bool
  default     = true
}

variable "cloudwatch_logs_log_groups" {
  description = "Names (wildcards allowed) of this account's log groups CloudWatch Logs may encrypt with the key."
  type        = list(string)
  default     = ["*"]

  validation {
    condition     = length(var.cloudwatch_logs_log_groups) > 0
    error_message = "cloudwatch_logs_log_groups must name at least one log group (or pattern)."
  }
}

variable "allow_cloudwatch_alarms" {
  description = "Allow CloudWatch alarms of this account (cloudwatch_alarm_names) to publish to SNS topics encrypted with the key."
  type        = bool
  default     = true
}

variable "cloudwatch_alarm_names" {
  description = "Names (wildcards allowed) of the alarms that may publish to topics encrypted with the key (aws:SourceArn)."
  type        = list(string)
  default     = ["*"]

  validation {
    condition     = length(var.cloudwatch_alarm_names) > 0
    error_message = "cloudwatch_alarm_names must name at least one alarm (or pattern)."
  }
}

variable "tags" {
  description = "Tags applied to the key."
  type        = map(string)
  default     = {}
}

variable "mac_key_enabled" {
  description = "Also create an HMAC_256 key (GENERATE_VERIFY_MAC) for the functions' derived secrets, aliased alias/<alias>-mac."
  type        = bool
  default     = false
}

variable "mac_key_users" {
  description = "IAM role ARNs that may call kms:GenerateMac with the HMAC key."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.mac_key_users : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "mac_key_users must be IAM role ARNs."
  }
}

variable "signing_key_enabled" {
  description = "Also create an ECC_NIST_P256 SIGN_VERIFY key for the archive's digests, aliased alias/<alias>-signing."
  type        = bool
  default     = false
}

variable "signing_key_users" {
  description = "IAM role ARNs that may call kms:Sign with the signing key (the digest function only)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.signing_key_users : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "signing_key_users must be IAM role ARNs."
  }
}

variable "export_signing_key_enabled" {
  description = "Also create an ECC_NIST_P256 SIGN_VERIFY key for export manifests, aliased alias/<alias>-export-signing."
  type        = bool
  default     = false
}

variable "export_signing_key_users" {
  description = "IAM role ARNs that may call kms:Sign with the export signing key (the export function only)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.export_signing_key_users : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "export_signing_key_users must be IAM role ARNs."
  }
}
