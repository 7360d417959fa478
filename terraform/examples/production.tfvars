# Sample production settings for real AWS. Copy and adapt:
#   make package
#   terraform -chdir=terraform init
#   terraform -chdir=terraform apply -var-file=examples/production.tfvars

name_prefix = "aaas-prod"
region      = "eu-central-1"
# production refuses GOVERNANCE Object Lock.
environment = "production"

# Break-glass administrators of the archive and the data key (default: whoever applies Terraform).
# admin_principal_arns = ["arn:aws:iam::111122223333:role/aaas-deployer", "arn:aws:iam::111122223333:role/break-glass"]

tags = {
  Environment = "production"
  CostCenter  = "security"
  DataClass   = "audit"
}

initiator_system_codes = ["CRM_WEB", "CRM_MBL", "ERP_WEB"]

clients = {
  crm = {
    initiator_codes      = ["CRM_WEB", "CRM_MBL"]
    throttle_rate_limit  = 100
    throttle_burst_limit = 200
    quota_limit          = 5000000
    quota_period         = "DAY"
  }
  erp = {
    initiator_codes = ["ERP_WEB"]
  }
}

# Archive: WORM for 7 years. COMPLIANCE retention cannot be shortened or bypassed by anyone,
# including the root user, until it expires.
object_lock_mode                   = "COMPLIANCE"
object_lock_retention_days         = 2557
lifecycle_infrequent_access_days   = 90
lifecycle_archive_storage_class    = "DEEP_ARCHIVE"
lifecycle_archive_days             = 365
lifecycle_expiration_days          = 2557
noncurrent_version_expiration_days = 30
archive_force_destroy              = false

# Server access logs go to <archive>-logs unless an existing bucket is named here.
# access_log_bucket = { bucket = "org-s3-access-logs-eu-central-1", prefix = "aaas-prod/" }
# Replicate the archive to a COMPLIANCE-locked bucket in another region:
# archive_replication = {
#   destination_bucket_arn = "arn:aws:s3:::aaas-prod-archive-replica-111122223333"
#   kms_key_arn            = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"
# }

index_retention_days = 400
deletion_protection  = true

firehose_buffering = {
  size_in_mb          = 128
  interval_in_seconds = 300
}

log_retention_days = 400

alert_email_subscriptions = ["secops@example.com"]

function_settings = {
  ingestion      = { memory_size = 1024, timeout = 15 }
  transformation = { memory_size = 1024, timeout = 120 }
  alerting       = { memory_size = 512, timeout = 60 }
}

api_stage_name = "prod"
api_throttling = {
  rate_limit  = 200
  burst_limit = 400
}

tracing_enabled = true

# Reports with Athena over the archive (README, "Querying with Athena on AWS"): the auditors' role
# may read the archive and write encrypted results through S3.
analytics_enabled = true
analytics = {
  reader_role_arns               = ["arn:aws:iam::123456789012:role/compliance-auditors"]
  bytes_scanned_cutoff_per_query = 53687091200 # 50 GiB
  years                          = { first = 2026, last = 2035 }
}

# Pre-signed export URLs valid for 4 hours.
export_url_expiry_seconds = 14400
