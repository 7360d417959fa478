# Keys for one purpose each, beside the data key: an HMAC_256 key the functions derive secrets from
# (paging cursors), an ECC_NIST_P256 key that signs the archive's digests and another that signs
# export manifests (so the export role can never sign a digest). Each may be used only
# by the roles listed for it, for its one action; the account administers both. Anyone in the
# account may read the signing key's public key, which is what auditors verify with (as PEM).

locals {
  purpose_keys = {
    for name, key in {
      mac = {
        enabled     = var.mac_key_enabled
        spec        = "HMAC_256"
        usage       = "GENERATE_VERIFY_MAC"
        users       = var.mac_key_users
        action      = "kms:GenerateMac"
        sid         = "FunctionRolesGenerateMacs"
        description = "HMAC key (paging cursors)"
        public_key  = false
      }
      signing = {
        enabled     = var.signing_key_enabled
        spec        = "ECC_NIST_P256"
        usage       = "SIGN_VERIFY"
        users       = var.signing_key_users
        action      = "kms:Sign"
        sid         = "DigestRoleSigns"
        description = "digest signing key"
        public_key  = true
      }
      export-signing = {
        enabled     = var.export_signing_key_enabled
        spec        = "ECC_NIST_P256"
        usage       = "SIGN_VERIFY"
        users       = var.export_signing_key_users
        action      = "kms:Sign"
        sid         = "ExportRoleSigns"
        description = "export manifest signing key"
        public_key  = true
      }
    } : name => key if key.enabled
  }
}

data "aws_iam_policy_document" "purpose" {
  for_each = local.purpose_keys

  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  dynamic "statement" {
    for_each = length(each.value.users) > 0 ? [1] : []
    content {
      sid    = each.value.sid
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = each.value.users
      }
      actions   = [each.value.action]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.public_key ? [1] : []
    content {
      sid    = "AccountReadsThePublicKey"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = [local.root_arn]
      }
      actions   = ["kms:GetPublicKey", "kms:Verify"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "kms:CallerAccount"
        values   = [local.account_id]
      }
    }
  }
}

resource "aws_kms_key" "purpose" {
  # checkov:skip=CKV_AWS_7:KMS rotates symmetric encryption keys only. A new HMAC key invalidates open cursors (one page of paging); a new signing key starts a chain segment whose digests name their key id (docs/design.md).
  for_each = local.purpose_keys

  description              = "${var.description}: ${each.value.description}"
  customer_master_key_spec = each.value.spec
  key_usage                = each.value.usage
  enable_key_rotation      = false
  deletion_window_in_days  = var.deletion_window_in_days
  policy                   = data.aws_iam_policy_document.purpose[each.key].json
  tags                     = var.tags
}

resource "aws_kms_alias" "purpose" {
  for_each = local.purpose_keys

  name          = "alias/${var.alias}-${each.key}"
  target_key_id = aws_kms_key.purpose[each.key].key_id
}
