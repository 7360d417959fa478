"""A versioned archive bucket, the digest ledger and the signing key on moto, driven through the real handler."""

from __future__ import annotations

import gzip
import importlib
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from audit_shared.clock import iso_utc
from audit_shared.events import enrich, ndjson_line
from support import FakeLambdaContext, create_ledger_table

BUCKET = "aaas-dev-archive"
TABLE = "aaas-dev-digest-ledger"
DATA_KEY = "data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN_FAILED/year=2026/month=11/day=01/aaas-events-1-2026-11-01-09-00-00-{}.gz"
ERRORS_KEY = "errors/processing-failed/year=2026/month=11/day=01/hour=09/aaas-events-1-2026-11-01-09-00-00-{}.gz"


class ArchiveStack:
    """What Firehose, S3 notifications and the schedule do, and the verifier's view of the result."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.s3 = boto3.client("s3")
        self.dynamodb = boto3.client("dynamodb")
        self.kms = boto3.client("kms")
        self.s3.create_bucket(Bucket=BUCKET)
        self.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        create_ledger_table(self.dynamodb, TABLE)
        self.key_id = self.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
        monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "audit-digest")
        monkeypatch.setenv("ARCHIVE_BUCKET_NAME", BUCKET)
        monkeypatch.setenv("LEDGER_TABLE_NAME", TABLE)
        self.archive_key_id = self.kms.create_key()["KeyMetadata"]["Arn"]
        monkeypatch.setenv("ARCHIVE_KMS_KEY_ID", self.archive_key_id)
        monkeypatch.setenv("DIGEST_SIGNING_KEY_ID", self.key_id)
        monkeypatch.setenv("DIGEST_INTERVAL_MINUTES", "60")
        self.handler = importlib.import_module("digest.handler")
        for cached in (self.handler.settings, self.handler.clients, self.handler.signing_key_id):
            cached.cache_clear()
        self.monkeypatch = monkeypatch
        self.context = FakeLambdaContext()

    def close(self) -> None:
        for cached in (self.handler.settings, self.handler.clients, self.handler.signing_key_id):
            cached.cache_clear()

    # --- what the pipeline does -------------------------------------------------------------------

    def put(self, key: str, lines: list[bytes], *, notify: bool = True) -> str:
        """Store a gzip NDJSON object like Firehose; notify the digest function like S3 does."""
        body = gzip.compress(b"".join(line + b"\n" for line in lines))
        response = self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        if notify:
            self.notify(key, response["VersionId"], len(body), response["ETag"].strip('"'))
        return response["VersionId"]

    def put_events(self, key: str, events: list[dict[str, Any]], **options: Any) -> str:
        return self.put(key, [ndjson_line(event).rstrip(b"\n") for event in events], **options)

    def notify(self, key: str, versionid: str, size: int, etag: str, now_ms: int | None = None) -> dict[str, Any]:
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventTime": iso_utc(now_ms or time.time_ns() // 1_000_000),
            "eventName": "ObjectCreated:Put",
            "s3": {
                "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "versionId": versionid,
                           "sequencer": "0067250A3F1B2C3D4E"},
            },
        }  # fmt: skip
        return self.handler.lambda_handler({"Records": [record]}, self.context)

    def seal(self, offset_ms: int = -2000) -> dict[str, Any]:
        """The scheduled seal; its clock runs slightly behind so objects put afterwards are newer."""
        self.monkeypatch.setattr(self.handler, "now_millis", lambda: time.time_ns() // 1_000_000 + offset_ms)
        event = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        return self.handler.lambda_handler(event, self.context)

    # --- what an auditor sees ---------------------------------------------------------------------

    def read(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()

    def digest(self, sequence: int) -> dict[str, Any]:
        return json.loads(self.read(f"digests/{sequence:012d}.json"))

    def ledger_item(self, key: str, versionid: str) -> dict[str, Any]:
        return self.dynamodb.get_item(
            TableName=TABLE, Key={"pk": {"S": f"object#{key}#{versionid}"}}, ConsistentRead=True
        )["Item"]

    def public_key_pem(self, path: Path) -> Path:
        der = self.kms.get_public_key(KeyId=self.key_id)["PublicKey"]
        path.write_bytes(load_der_public_key(der).public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
        return path

    def download(self, target: Path) -> Path:
        """What ``aws s3 sync`` leaves: current objects as files, LastModified as their mtime."""
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                path = target / item["Key"]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(self.read(item["Key"]))
                modified = item["LastModified"].timestamp()
                os.utime(path, (modified, modified))
        return target


T0 = 1_793_523_600_000  # 2026-11-01T09:00:00.000Z


def login_failures(examples: dict[str, dict[str, Any]], count: int, offset: int = 0) -> list[dict[str, Any]]:
    """`count` enriched LOGIN_FAILED events, one millisecond apart from T0 + offset."""
    raw = [{**examples["LOGIN_FAILED"], "timestamp": T0 + offset + n} for n in range(count)]
    return [enrich(event, received_ms=event["timestamp"] + 500) for event in raw]
