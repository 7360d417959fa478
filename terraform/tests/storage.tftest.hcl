# S3 archive: Object Lock, versioning, encryption, public access, TLS-only policy, lifecycle, notification.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

variables {
  bucket_name = "aaas-archive-123456789012"
  kms_key_arn = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  notification_function = {
    arn  = "arn:aws:lambda:eu-central-1:123456789012:function:aaas-alerting"
    name = "aaas-alerting"
  }
}

run "compliance_archive" {
  command = plan

  module {
    source = "./modules/storage"
  }

  assert {
    condition     = aws_s3_bucket.this.object_lock_enabled == true
    error_message = "Object Lock must be enabled on the archive bucket."
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.this.rule[0].default_retention[0].mode == "COMPLIANCE" && aws_s3_bucket_object_lock_configuration.this.rule[0].default_retention[0].days == 2557
    error_message = "Default retention must be COMPLIANCE for 2557 days by default."
  }

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "Versioning must be enabled."
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "All four public access block settings must be true."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs must be disabled (BucketOwnerEnforced)."
  }

  assert {
    condition = one([for r in aws_s3_bucket_server_side_encryption_configuration.this.rule :
      r.apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms" &&
      r.apply_server_side_encryption_by_default[0].kms_master_key_id == var.kms_key_arn &&
    r.bucket_key_enabled])
    error_message = "Default encryption must be SSE-KMS with the customer-managed key and a bucket key."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" && contains(s.actions, "s3:*") &&
      anytrue([for c in s.condition : c.test == "Bool" && c.variable == "aws:SecureTransport" && toset(c.values) == toset(["false"])])
    ])
    error_message = "The bucket policy must deny every request without TLS."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" && contains(s.actions, "s3:PutObject") &&
      anytrue([for c in s.condition : c.variable == "s3:x-amz-server-side-encryption" && toset(c.values) == toset(["aws:kms"])])
    ])
    error_message = "The bucket policy must deny uploads without SSE-KMS."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" && anytrue([for c in s.condition : c.variable == "s3:x-amz-server-side-encryption-aws-kms-key-id" && toset(c.values) == toset([var.kms_key_arn])])
    ])
    error_message = "The bucket policy must deny uploads encrypted with another key."
  }

  assert {
    condition = (
      { for t in aws_s3_bucket_lifecycle_configuration.this[0].rule[0].transition : t.storage_class => t.days } == { STANDARD_IA = 90, DEEP_ARCHIVE = 365 } &&
      aws_s3_bucket_lifecycle_configuration.this[0].rule[0].expiration[0].days >= 2557 &&
      aws_s3_bucket_lifecycle_configuration.this[0].rule[0].abort_incomplete_multipart_upload[0].days_after_initiation == 7 &&
      aws_s3_bucket_lifecycle_configuration.this[0].rule[0].noncurrent_version_expiration[0].noncurrent_days == 30
    )
    error_message = "Lifecycle must tier to STANDARD_IA then DEEP_ARCHIVE, expire after the retention and clean up uploads and old versions."
  }

  assert {
    condition = (
      aws_s3_bucket_notification.this[0].lambda_function[0].filter_prefix == "data/" &&
      aws_s3_bucket_notification.this[0].lambda_function[0].events == toset(["s3:ObjectCreated:*"])
    )
    error_message = "ObjectCreated events under data/ must invoke the alerting function."
  }

  assert {
    condition = (
      aws_lambda_permission.notification[0].principal == "s3.amazonaws.com" &&
      aws_lambda_permission.notification[0].source_arn == aws_s3_bucket.this.arn &&
      aws_lambda_permission.notification[0].source_account == "123456789012"
    )
    error_message = "The S3 invoke permission must be scoped to the bucket and account."
  }

  assert {
    condition     = aws_s3_bucket.access_logs[0].bucket == "aaas-archive-123456789012-logs" && aws_s3_bucket_logging.this[0].target_bucket == aws_s3_bucket.access_logs[0].id
    error_message = "Access logging is on by default, into a log bucket of the module's own."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.access_logs[0].statement :
      anytrue([for p in s.principals : p.type == "Service" && contains(p.identifiers, "logging.s3.amazonaws.com")]) &&
      anytrue([for c in s.condition : c.variable == "aws:SourceArn"]) && anytrue([for c in s.condition : c.variable == "aws:SourceAccount"])
    ])
    error_message = "Only S3 logging for this archive (aws:SourceArn, aws:SourceAccount) may write the access logs."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.access_logs[0].rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "AES256"
    error_message = "S3 delivers access logs only to SSE-S3 targets."
  }

  # Finding 2: the archive's guarantees can be changed only by the bucket administrators, which
  # default to the principal applying Terraform.
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" &&
      length(setsubtract(["s3:PutBucketObjectLockConfiguration", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration"], s.actions)) == 0 &&
      anytrue([for c in s.condition : c.test == "ArnNotLike" && c.variable == "aws:PrincipalArn" && toset(c.values) == toset(["arn:aws:iam::123456789012:user/terraform-test"])])
    ])
    error_message = "The bucket policy must deny Object Lock, policy and lifecycle changes to all but the administrators (default: the deployer)."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.effect == "Deny" && s.actions == toset(["s3:BypassGovernanceRetention"]) &&
      anytrue([for c in s.condition : c.variable == "aws:PrincipalArn"])
    ])
    error_message = "The bucket policy must deny s3:BypassGovernanceRetention to all but the administrators."
  }

  assert {
    condition     = toset(output.bucket_admin_principal_arns) == toset(["arn:aws:iam::123456789012:user/terraform-test"])
    error_message = "Without bucket_admin_principal_arns, the deployer administers the bucket."
  }
}

run "only_the_writers_put_objects" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    bucket_admin_principal_arns = ["arn:aws:iam::123456789012:role/break-glass"]
    object_writers = {
      firehose = { role_arn = "arn:aws:iam::123456789012:role/aaas-events-firehose", prefixes = ["data/", "errors/"] }
      digest   = { role_arn = "arn:aws:iam::123456789012:role/aaas-digest-role", prefixes = ["digests/"] }
    }
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.sid == "DenyPutObjectExceptWriters" && s.effect == "Deny" && s.actions == toset(["s3:PutObject"]) &&
      anytrue([for c in s.condition : c.test == "ArnNotEquals" && toset(c.values) == toset(["arn:aws:iam::123456789012:role/aaas-events-firehose", "arn:aws:iam::123456789012:role/aaas-digest-role"])])
    ])
    error_message = "Nobody but the writers may put objects."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.sid == "DenyFirehosePutObjectOutsideItsPrefixes" && s.effect == "Deny" &&
      s.not_resources == toset(["arn:aws:s3:::aaas-archive-123456789012/data/*", "arn:aws:s3:::aaas-archive-123456789012/errors/*"])
    ])
    error_message = "Firehose may put only under data/ and errors/."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.sid == "DenyDigestPutObjectOutsideItsPrefixes" && s.not_resources == toset(["arn:aws:s3:::aaas-archive-123456789012/digests/*"])
    ])
    error_message = "The digest role may put only under digests/."
  }

  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.bucket.statement :
      s.sid == "DenyWeakeningTheArchiveExceptAdministrators" &&
      anytrue([for c in s.condition : toset(c.values) == toset(["arn:aws:iam::123456789012:role/break-glass"])])
    ])
    error_message = "Given bucket administrators replace the deployer."
  }
}

run "access_logging_off_with_a_reason" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    access_logging_disabled_reason = "LocalStack does not deliver S3 server access logs"
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0 && length(aws_s3_bucket.access_logs) == 0
    error_message = "A reason switches access logging off."
  }
}

run "rejects_access_logging_off_without_a_reason" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    access_logging_disabled_reason = ""
  }

  expect_failures = [var.access_logging_disabled_reason]
}

run "rejects_an_empty_administrator_list" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    bucket_admin_principal_arns = []
  }

  expect_failures = [var.bucket_admin_principal_arns]
}

run "replication_opt_in" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    replication = {
      destination_bucket_arn = "arn:aws:s3:::aaas-archive-replica"
      kms_key_arn            = "arn:aws:kms:eu-west-1:123456789012:key/99999999-2222-3333-4444-555555555555"
    }
  }

  assert {
    condition = (
      aws_s3_bucket_replication_configuration.this[0].rule[0].destination[0].bucket == "arn:aws:s3:::aaas-archive-replica" &&
      aws_s3_bucket_replication_configuration.this[0].rule[0].destination[0].encryption_configuration[0].replica_kms_key_id == var.replication.kms_key_arn &&
      aws_s3_bucket_replication_configuration.this[0].rule[0].source_selection_criteria[0].sse_kms_encrypted_objects[0].status == "Enabled"
    )
    error_message = "Replication copies the SSE-KMS objects to the destination, encrypted with its key."
  }

  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.replication_assume_role[0].statement :
      anytrue([for c in s.condition : c.variable == "aws:SourceArn"]) && anytrue([for c in s.condition : c.variable == "aws:SourceAccount"])
    ])
    error_message = "Only S3 for this bucket may assume the replication role."
  }
}

run "no_replication_by_default" {
  command = plan

  module {
    source = "./modules/storage"
  }

  assert {
    condition     = length(aws_s3_bucket_replication_configuration.this) == 0 && output.replication_role_arn == null
    error_message = "Replication is opt-in."
  }
}

run "governance_with_access_logs_and_glacier" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    object_lock_mode           = "GOVERNANCE"
    object_lock_retention_days = 1
    access_log_bucket          = { bucket = "central-access-logs" }
    lifecycle_rules = {
      archive_storage_class = "GLACIER"
      expiration_days       = 400
    }
  }

  assert {
    condition     = aws_s3_bucket_object_lock_configuration.this.rule[0].default_retention[0].mode == "GOVERNANCE"
    error_message = "The configured Object Lock mode must be applied."
  }

  assert {
    condition     = aws_s3_bucket_logging.this[0].target_bucket == "central-access-logs" && aws_s3_bucket_logging.this[0].target_prefix == "s3-access/aaas-archive-123456789012/"
    error_message = "Access logs must go to the given bucket."
  }

  assert {
    condition     = contains([for t in aws_s3_bucket_lifecycle_configuration.this[0].rule[0].transition : t.storage_class], "GLACIER")
    error_message = "The archive storage class must be configurable."
  }
}

run "rejects_unknown_retention_mode" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    object_lock_mode = "compliance"
  }

  expect_failures = [var.object_lock_mode]
}

run "rejects_expiration_shorter_than_retention" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    object_lock_retention_days = 3650
  }

  expect_failures = [var.lifecycle_rules]
}

run "rejects_invalid_key_arn" {
  command = plan

  module {
    source = "./modules/storage"
  }

  variables {
    kms_key_arn = "alias/aws/s3"
  }

  expect_failures = [var.kms_key_arn]
}
