# LocalStack settings (tflocal -chdir=terraform apply -var-file=environments/local.tfvars).
# Short retention and GOVERNANCE Object Lock so the whole stack can be torn down again.

name_prefix = "aaas-local"
region      = "us-east-1"
environment = "local"

tags = {
  Environment = "local"
}

initiator_system_codes = ["CRM_WEB", "CRM_MBL", "ERP_WEB"]

# The three kinds of client the e2e tests exercise: write-only (erp), read+write (crm), and a
# read-only auditor that reads every initiator.
clients = {
  crm     = { initiator_codes = ["CRM_WEB", "CRM_MBL"], scopes = ["write", "read"] }
  erp     = { initiator_codes = ["ERP_WEB"] }
  auditor = { read_initiator_codes = ["CRM_WEB", "CRM_MBL", "ERP_WEB"], scopes = ["read"] }
}

# LocalStack's edge: the api_local_url output is the API as curl reaches it locally.
local_endpoint = "http://127.0.0.1:4566"

object_lock_mode           = "GOVERNANCE"
object_lock_retention_days = 1
# Lifecycle rules never run in LocalStack, and applying them makes the provider poll for ~55 s.
archive_lifecycle_enabled              = false
lifecycle_expiration_days              = 400
noncurrent_version_expiration_days     = 1
archive_force_destroy                  = true
archive_access_logging_disabled_reason = "LocalStack does not deliver S3 server access logs"

index_retention_days = 7
deletion_protection  = false

# Dynamic partitioning needs >= 64 MiB; the interval decides how fast objects land in S3.
firehose_buffering = {
  size_in_mb          = 64
  interval_in_seconds = 60
}


log_retention_days = 7

# The local executor runs the functions on this machine: x86_64 here. scripts/local-apply.sh passes
# the host's architecture over this on other machines, and `make local-apply` packages for it.
lambda_architecture = "x86_64"

# The demo and the e2e tests trip each rule: the default always-alert types, a LOGIN_FAILED burst of
# 5 within 10 minutes, and the watch-listed requestor and IP below.
alert_rules = <<-EOT
  {
    "always_alert": {"event_types": ["ACCOUNT_LOCKOUT", "MULTIPLE_LOGIN_FAILED", "UNUSUAL_LOGIN_LOCATION",
                                     "USER_ACCOUNT_PRIVILEGES_ESCALATED", "DOCUMENT_INTEGRITY_FAILED"]},
    "thresholds": [{"name": "login-failed-burst", "event_type": "LOGIN_FAILED", "group_by": "requestorid",
                    "count": 5, "window_minutes": 10}],
    "watchlist": {"requestorids": ["u-watched-contractor"], "requestorips": ["203.0.113.66"]},
    "dedupe_window_minutes": 60
  }
EOT

alert_email_subscriptions = []

tracing_enabled = false

# LocalStack owns no account-wide API Gateway settings worth managing.
manage_api_gateway_account = false

# A digest every minute, so the demo and the e2e tests see sealed periods quickly.
digest_interval_minutes = 1
