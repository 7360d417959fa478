# An asymmetric key (ECC_NIST_P256, SIGN_VERIFY) that signs the archive's digests. Only the
# signing_key_users roles (the digest function) may kms:Sign; anyone in the account may read the
# public key, which is what auditors verify with (offline, as a PEM file).

data "aws_iam_policy_document" "signing" {
  count = var.signing_key_enabled ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  dynamic "statement" {
    for_each = length(var.signing_key_users) > 0 ? [1] : []
    content {
      sid    = "DigestRoleSigns"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = var.signing_key_users
      }
      actions   = ["kms:Sign"]
      resources = ["*"]
    }
  }

  statement {
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

resource "aws_kms_key" "signing" {
  # checkov:skip=CKV_AWS_7:KMS does not rotate asymmetric keys; a new signing key starts a new chain segment whose digests name their key id (docs/design.md).
  count = var.signing_key_enabled ? 1 : 0

  description              = "${var.description}: digest signing key"
  customer_master_key_spec = "ECC_NIST_P256"
  key_usage                = "SIGN_VERIFY"
  enable_key_rotation      = false
  deletion_window_in_days  = var.deletion_window_in_days
  policy                   = data.aws_iam_policy_document.signing[0].json
  tags                     = var.tags
}

resource "aws_kms_alias" "signing" {
  count = var.signing_key_enabled ? 1 : 0

  name          = "alias/${var.alias}-signing"
  target_key_id = aws_kms_key.signing[0].key_id
}
