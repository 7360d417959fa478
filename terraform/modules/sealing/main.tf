# What drives the digest function: every ObjectCreated of the archive under the sealed prefixes
# (through EventBridge, so data/ can notify the alerting function directly as well), and a
# schedule that seals a digest every interval_minutes, even when nothing arrived.
# With schedule_enabled = false the module routes ObjectCreated alone (the indexer function).

resource "aws_cloudwatch_event_rule" "object_created" {
  name        = coalesce(var.rule_name, "${var.name_prefix}-archive-object-created")
  description = "ObjectCreated under ${join(", ", var.prefixes)} in ${var.bucket_name}: ${var.purpose}"
  event_pattern = jsonencode({
    source      = ["aws.s3"]
    detail-type = ["Object Created"]
    detail = {
      bucket = { name = [var.bucket_name] }
      object = { key = [for prefix in var.prefixes : { prefix = prefix }] }
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "schedule" {
  count = var.schedule_enabled ? 1 : 0

  name                = "${var.name_prefix}-digest-schedule"
  description         = "Seal a signed digest of the archive every ${var.interval_minutes} minute(s)"
  schedule_expression = var.interval_minutes == 1 ? "rate(1 minute)" : "rate(${var.interval_minutes} minutes)"
  tags                = var.tags
}

locals {
  rules = merge(
    { object_created = aws_cloudwatch_event_rule.object_created },
    var.schedule_enabled ? { schedule = aws_cloudwatch_event_rule.schedule[0] } : {},
  )
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.rules

  rule      = each.value.name
  target_id = var.target_id
  arn       = var.function_arn

  retry_policy {
    maximum_retry_attempts       = 185
    maximum_event_age_in_seconds = 86400
  }
}

resource "aws_lambda_permission" "this" {
  for_each = local.rules

  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = var.function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}
