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

variable "allowed_via_services" {
  description = "Service prefixes (e.g. s3, dynamodb) through which principals of this account may use the key (kms:ViaService <service>.<region>.amazonaws.com)."
  type        = list(string)
  default     = ["s3", "dynamodb", "firehose", "lambda", "sns", "sqs"]

  validation {
    condition     = length(var.allowed_via_services) > 0 && alltrue([for s in var.allowed_via_services : can(regex("^[a-z0-9-]+$", s))])
    error_message = "allowed_via_services must be a non-empty list of lower-case service prefixes such as s3 or dynamodb."
  }
}

variable "allow_cloudwatch_logs" {
  description = "Allow CloudWatch Logs of this region to use the key for log groups of this account."
  type        = bool
  default     = true
}

variable "allow_cloudwatch_alarms" {
  description = "Allow CloudWatch alarms of this account to publish to SNS topics encrypted with the key."
  type        = bool
  default     = true
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
