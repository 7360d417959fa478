# Least-privilege statements of the function roles. The function module adds logs (own log group),
# kms:Decrypt for the environment, X-Ray and the on-failure queue itself.

locals {
  ingestion_policy_statements = [
    {
      sid       = "PutRecordsToDeliveryStream"
      actions   = ["firehose:PutRecordBatch"]
      resources = [module.delivery.delivery_stream_arn]
    },
    {
      sid = "WriteIndex"
      actions = [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
      ]
      resources = [module.index.table_arn]
    },
    {
      sid       = "UseKeyForIndex"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [module.kms.key_arn]
    },
  ]

  alerting_policy_statements = [
    {
      sid       = "ReadArchivedEvents"
      actions   = ["s3:GetObject"]
      resources = ["${module.storage.bucket_arn}/data/*"]
    },
    {
      sid       = "QueryIndex"
      actions   = ["dynamodb:Query"]
      resources = values(module.index.index_arns)
    },
    {
      sid       = "DedupeAlerts"
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = [module.index.table_arn]
    },
    {
      sid       = "PublishAlerts"
      actions   = ["sns:Publish"]
      resources = [module.alerting.topic_arn]
    },
    {
      sid       = "UseKeyForArchiveIndexAndTopic"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [module.kms.key_arn]
    },
  ]
}
