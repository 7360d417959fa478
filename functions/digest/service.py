"""What the digest function does, independent of Lambda: record object versions, seal a period.

Sealing, in the order that keeps the ledger and the chain consistent across crashes:

1. take the lease on the chain head (a second seal, e.g. a redelivered schedule, backs off);
2. finish the previous seal: pending items the head digest already lists are marked sealed by it
   (a crash between advancing the head and marking the items would otherwise seal them twice);
3. read every pending object version, hash its bytes, and build the Merkle tree of its lines;
4. write ``digests/<sequence>.json`` and its ``.sig``, signed by KMS over the exact bytes (a crash
   before step 5 leaves them to be overwritten by the retry: the head never pointed at them);
5. advance the head to the new digest (conditional on the lease), then mark the items sealed.

A period with no new objects still gets a digest, so an empty period is never mistaken for a
missing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger

from audit_shared import ledger, merkle
from audit_shared.archive_objects import read_object
from audit_shared.clock import iso_utc, millis_from_iso
from audit_shared.digests import (
    Link,
    SealedObject,
    build_document,
    digest_key,
    encode,
    is_sealed_key,
    parse,
    sha256_hex,
    signature_key,
)
from audit_shared.ledger import Head, LedgerObject
from audit_shared.retry import Backoff
from audit_shared.signing import Signer

logger = Logger(child=True)


@dataclass(frozen=True, slots=True)
class Settings:
    bucket: str
    table: str
    # The archive's customer-managed key: the bucket policy refuses puts without SSE-KMS under it.
    archive_kms_key_id: str
    interval_minutes: int
    lease_seconds: int


@dataclass
class RecordReport:
    recorded: int = 0
    duplicates: int = 0
    ignored: int = 0


@dataclass
class SealReport:
    skipped: bool = False
    digest_key: str | None = None
    sequence: int = 0
    objects: int = 0
    events: int = 0
    repaired: int = 0
    missing: list[str] = field(default_factory=list)


def record_objects(client: Any, table: str, objects: list[LedgerObject], now_ms: int) -> RecordReport:
    """Ledger every data/ and errors/ object version an S3 notification reports, once."""
    report = RecordReport()
    for item in objects:
        if not is_sealed_key(item.key):
            report.ignored += 1
            logger.info("object outside data/ and errors/ ignored", extra={"key": item.key})
        elif ledger.record(client, table, item, now_ms):
            report.recorded += 1
        else:
            report.duplicates += 1
    return report


def _previous_objects(s3: Any, bucket: str, head: Head | None) -> set[tuple[str, str]]:
    if head is None:
        return set()
    data = s3.get_object(Bucket=bucket, Key=head.digestkey)["Body"].read()
    return {item.order for item in parse(data).objects}


def seal(clients: Any, settings: Settings, signer: Signer, now_ms: int, owner: str, backoff: Backoff) -> SealReport:
    """Seal every pending object version into the next digest of the chain."""
    head = ledger.read_head(clients.dynamodb, settings.table)
    if not ledger.claim(clients.dynamodb, settings.table, head, owner, now_ms, settings.lease_seconds * 1000):
        logger.info("another seal holds the lease; nothing to do")
        return SealReport(skipped=True)
    try:
        return _seal(clients, settings, signer, head, now_ms, owner, backoff)
    except Exception:
        ledger.release(clients.dynamodb, settings.table, owner)
        raise


def _seal(
    clients: Any, settings: Settings, signer: Signer, head: Head | None, now_ms: int, owner: str, backoff: Backoff
) -> SealReport:
    report = SealReport()
    pending = ledger.pending_objects(clients.dynamodb, settings.table, backoff)
    already = _previous_objects(clients.s3, settings.bucket, head)
    fresh = []
    for item in pending:
        if head is not None and (item.key, item.versionid) in already:
            report.repaired += ledger.mark_sealed(
                clients.dynamodb, settings.table, item, head.digestkey, head.sequence, now_ms
            )
        else:
            fresh.append(item)
    fresh.sort(key=lambda item: (item.key, item.versionid))

    sealed: list[SealedObject] = []
    hashes: list[bytes] = []
    for item in fresh:
        entry, leaves = read_object(clients.s3, settings.bucket, item)
        sealed.append(entry)
        hashes += leaves
        if entry.sha256 is None:
            report.missing.append(f"{item.key}@{item.versionid}")

    sequence = head.sequence + 1 if head else 1
    key = digest_key(sequence)
    if head is not None:
        period_start = head.periodend_ms
    else:
        # The first digest starts with the oldest object it seals (or now, if there is none).
        period_start = min((millis_from_iso(item.eventtime) for item in fresh), default=now_ms)
    period_start = min(period_start, now_ms)
    total = (head.totalevents if head else 0) + len(hashes)
    document = build_document(
        sequence=sequence,
        bucket=settings.bucket,
        period_start_ms=period_start,
        period_end_ms=now_ms,
        previous=Link(head.digestkey, head.digestsha256) if head else None,
        objects=sealed,
        root=merkle.root_from_hashes(hashes),
        total_events=total,
        key_id=signer.key_id,
    )
    body = encode(document)
    signature = signer.sign(body)
    encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings.archive_kms_key_id}
    clients.s3.put_object(Bucket=settings.bucket, Key=key, Body=body, ContentType="application/json", **encryption)
    clients.s3.put_object(
        Bucket=settings.bucket,
        Key=signature_key(key),
        Body=signature,
        ContentType="application/octet-stream",
        **encryption,
    )
    new_head = Head(sequence, key, sha256_hex(body), now_ms, total)
    ledger.advance(clients.dynamodb, settings.table, head, new_head, owner)
    for item in fresh:
        ledger.mark_sealed(clients.dynamodb, settings.table, item, key, sequence, now_ms)
    report.digest_key, report.sequence = key, sequence
    report.objects, report.events = len(sealed), len(hashes)
    logger.info(
        "digest sealed",
        extra={"key": key, "objects": len(sealed), "events": len(hashes), "periodend": iso_utc(now_ms)},
    )
    return report
