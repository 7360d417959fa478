"""make reindex: the index rebuilt from the archive, pruned by partition, parallel, resumable."""

from __future__ import annotations

import gzip
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import reindex

from audit_shared.clock import MILLIS_PER_DAY, now_millis
from audit_shared.events import canonical_json, enrich, ndjson_line
from audit_shared.index import content_hash, index_item
from audit_shared.partitions import data_prefix
from support import create_index_table

BUCKET, TABLE = "audit-archive", "audit-index"
NOW = now_millis()
DAYS = [NOW - 3 * MILLIS_PER_DAY, NOW - 2 * MILLIS_PER_DAY, NOW - MILLIS_PER_DAY]


@pytest.fixture
def archive(aws: None, examples: dict) -> dict[str, dict[str, Any]]:
    """An archive as Firehose leaves it: 2 initiators x 2 types x 3 days, 3 events per object.

    Returns pk -> the item ingestion wrote for each event (client ids for CRM_WEB, server ids else).
    """
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    create_index_table(boto3.client("dynamodb"), TABLE)
    expected = {}
    for initiator in ("CRM_WEB", "ERP_WEB"):
        for eventtype in ("LOGIN_FAILED", "DOCUMENT_DOWNLOADED"):
            for day in DAYS:
                lines = []
                for n in range(3):
                    posted = dict(examples[eventtype], initiatorsystemcode=initiator, timestamp=day + n)
                    posted.pop("relatedeventid", None)
                    if initiator == "CRM_WEB":
                        posted["eventid"] = str(uuid.uuid4())
                    received = day + 1000 + n
                    event = enrich(posted, received_ms=received, source_ip="198.51.100.7", api_key_id="k1")
                    hashed = content_hash(posted) if "eventid" in posted else None
                    item = index_item(event, received, 30, canonical_json(event), hashed)
                    expected[item["pk"]["S"]] = item
                    lines.append(ndjson_line(event))
                key = f"{data_prefix(event)}aaas-events-1-{uuid.uuid4()}.gz"
                s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b"".join(lines)))
    return expected


def indexed() -> dict[str, dict[str, Any]]:
    pages = boto3.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    return {item["pk"]["S"]: item for page in pages for item in page["Items"]}


def run(tmp_path: Path, *args: str) -> int:
    base = ["--bucket", BUCKET, "--table", TABLE, "--retention-days", "30", "--quiet"]
    return reindex.main([*base, "--checkpoint", str(tmp_path / "checkpoint"), *args])


def test_rebuilds_exactly_what_ingestion_wrote_and_a_second_run_changes_nothing(
    archive: dict, tmp_path: Path, capsys: Any
) -> None:
    assert run(tmp_path, "--workers", "4") == 0
    assert indexed() == archive
    out = capsys.readouterr().out
    assert "12/12 objects, 36 events (36 written, 0 already indexed, 0 expired)" in out
    assert not (tmp_path / "checkpoint").exists()  # a completed run leaves no checkpoint behind
    assert run(tmp_path) == 0
    assert indexed() == archive
    assert "36 events (0 written, 36 already indexed, 0 expired)" in capsys.readouterr().out


class CountingS3:
    """Moto's S3, recording the prefixes listed and the objects read."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.read: list[str] = []
        self.listed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def get_object(self, **kwargs: Any) -> Any:
        self.read.append(kwargs["Key"])
        return self.real.get_object(**kwargs)

    def get_paginator(self, name: str) -> Any:
        paginator = self.real.get_paginator(name)
        listed = self.listed

        class Recording:
            def paginate(self, **kwargs: Any) -> Any:
                listed.append(kwargs["Prefix"])
                return paginator.paginate(**kwargs)

        return Recording()


def test_initiator_and_dates_prune_the_listing_and_bound_the_events(archive: dict, tmp_path: Path) -> None:
    s3 = CountingS3(boto3.client("s3"))
    checkpoint = reindex.Checkpoint(tmp_path / "checkpoint", restart=False)
    middle = DAYS[1]
    scope = reindex.Scope(("ERP_WEB",), from_ms=middle + 1, to_ms=NOW)
    progress = reindex.reindex(s3, boto3.client("dynamodb"), BUCKET, TABLE, 30, scope, checkpoint, workers=2)
    checkpoint.close(completed=True)
    # Only ERP_WEB objects of the last two days were read; the first event of the middle day is before --from.
    assert sorted({key.split("/")[1] for key in s3.read}) == ["initiatorsystemcode=ERP_WEB"]
    assert len(s3.read) == 4 and progress.objects_total == 4
    assert not any("CRM_WEB" in prefix for prefix in s3.listed)
    expected = {
        pk: item
        for pk, item in archive.items()
        if item["initiatorsystemcode"]["S"] == "ERP_WEB" and int(item["timestamp"]["N"]) > middle
    }
    assert indexed() == expected and len(expected) == 10
    assert (progress.written, progress.out_of_range) == (10, 2)


def test_interrupted_run_resumes_from_its_checkpoint(archive: dict, tmp_path: Path) -> None:
    def interrupt_after_four(progress: reindex.Progress) -> None:
        if progress.objects_done == 4:
            raise KeyboardInterrupt  # Ctrl-C reaches the main thread while it waits for the workers

    checkpoint = reindex.Checkpoint(tmp_path / "checkpoint", restart=False)
    with pytest.raises(KeyboardInterrupt):
        reindex.reindex(boto3.client("s3"), boto3.client("dynamodb"), BUCKET, TABLE, 30, reindex.Scope(),
                        checkpoint, workers=1, report=interrupt_after_four)  # fmt: skip
    checkpoint.close(completed=False)
    done = (tmp_path / "checkpoint").read_text().split()
    # Four objects are recorded; the ones in flight when Ctrl-C came may be written, but are not recorded.
    assert len(done) == 4
    assert 12 <= len(indexed()) <= 18 and all(item == archive[pk] for pk, item in indexed().items())

    s3 = CountingS3(boto3.client("s3"))
    resumed = reindex.Checkpoint(tmp_path / "checkpoint", restart=False)
    progress = reindex.reindex(s3, boto3.client("dynamodb"), BUCKET, TABLE, 30, reindex.Scope(), resumed, workers=3)
    resumed.close(completed=True)
    assert (progress.objects_skipped, progress.objects_done) == (4, 8)
    assert not set(done) & set(s3.read)
    assert indexed() == archive


def test_a_failing_object_is_listed_exit_1_and_the_checkpoint_kept(archive: dict, tmp_path: Path, capsys: Any) -> None:
    broken = "data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN_FAILED/year=2026/month=01/day=01/broken.gz"
    boto3.client("s3").put_object(Bucket=BUCKET, Key=broken, Body=b"\x1f\x8b not gzip")
    assert run(tmp_path) == 1
    assert indexed() == archive
    assert f"reindex: failed: {broken}: not a valid gzip stream" in capsys.readouterr().err
    assert len((tmp_path / "checkpoint").read_text().split()) == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-11-02", "--to", "2026-11-01"], "--from is after --to"),
        (["--from", "yesterday"], "'yesterday' is not epoch milliseconds or ISO 8601"),
        (["--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, capsys: Any, args: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(tmp_path, *args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_bucket_is_exit_2(aws: None, tmp_path: Path, capsys: Any) -> None:
    assert run(tmp_path) == 2
    assert capsys.readouterr().err.startswith("reindex: error: An error occurred (NoSuchBucket)")
