"""Alerting function: S3 ObjectCreated (archived NDJSON) -> alert rules -> deduplicated SNS alerts."""
