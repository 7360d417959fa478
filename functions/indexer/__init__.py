"""Indexer Lambda: indexes every archived event from S3 ObjectCreated under data/ (EventBridge)."""
