# LocalStack settings (tflocal -chdir=terraform apply -var-file=environments/local.tfvars).
# Short retention and GOVERNANCE Object Lock so the whole stack can be torn down again.

name_prefix = "aaas-local"
region      = "us-east-1"

tags = {
  Environment = "local"
}

initiator_system_codes = ["CRM_WEB", "CRM_MBL", "ERP_WEB"]

clients = {
  crm = { initiator_codes = ["CRM_WEB", "CRM_MBL"] }
  erp = { initiator_codes = ["ERP_WEB"] }
}

object_lock_mode           = "GOVERNANCE"
object_lock_retention_days = 1
# Lifecycle rules never run in LocalStack, and applying them makes the provider poll for ~55 s.
archive_lifecycle_enabled          = false
lifecycle_expiration_days          = 400
noncurrent_version_expiration_days = 1
archive_force_destroy              = true

index_retention_days = 7
deletion_protection  = false

# Dynamic partitioning needs >= 64 MiB; the interval decides how fast objects land in S3.
firehose_buffering = {
  size_in_mb          = 64
  interval_in_seconds = 60
}

# If LocalStack does not report Firehose stream SSE back, every plan would try to re-enable it (and
# wait for ENABLED); archived objects are still SSE-KMS through the destination key.
firehose_stream_encryption_enabled = false

log_retention_days = 7

alert_email_subscriptions = []

tracing_enabled = false

# LocalStack owns no account-wide API Gateway settings worth managing.
manage_api_gateway_account = false
