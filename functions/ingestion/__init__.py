"""Ingestion function: API Gateway REST proxy -> validation -> Firehose + DynamoDB index."""
