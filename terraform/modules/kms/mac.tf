# An HMAC key for what the functions authenticate themselves (paging cursors): they derive a
# per-purpose secret from it with kms:GenerateMac at cold start, so no key material is stored.
# Only the roles in mac_key_users may use it.

data "aws_iam_policy_document" "mac" {
  count = var.mac_key_enabled ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.administration.json]

  dynamic "statement" {
    for_each = length(var.mac_key_users) > 0 ? [1] : []
    content {
      sid    = "FunctionRolesGenerateMacs"
      effect = "Allow"
      principals {
        type        = "AWS"
        identifiers = var.mac_key_users
      }
      actions   = ["kms:GenerateMac"]
      resources = ["*"]
    }
  }
}

resource "aws_kms_key" "mac" {
  # checkov:skip=CKV_AWS_7:KMS rotates symmetric encryption keys only; an HMAC key is replaced by a new key (cursors signed with the old one then expire, see README).
  count = var.mac_key_enabled ? 1 : 0

  description              = "${var.description}: HMAC key (paging cursors)"
  customer_master_key_spec = "HMAC_256"
  key_usage                = "GENERATE_VERIFY_MAC"
  enable_key_rotation      = false
  deletion_window_in_days  = var.deletion_window_in_days
  policy                   = data.aws_iam_policy_document.mac[0].json
  tags                     = var.tags
}

resource "aws_kms_alias" "mac" {
  count = var.mac_key_enabled ? 1 : 0

  name          = "alias/${var.alias}-mac"
  target_key_id = aws_kms_key.mac[0].key_id
}
