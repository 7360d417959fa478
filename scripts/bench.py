#!/usr/bin/env python3
"""Benchmarks for the hot paths, each reported as a ratio against a baseline measured in the same run.

- cold start: importing the precompiled schema validator vs compiling the schema at start-up
- validation: validate_event per event vs json.loads + canonical json.dumps of the same event
- transformation: one 1 MB Firehose batch through the processor vs base64 decode/encode alone
- memory: peak traced allocation while transforming that batch vs the batch's own size
- verify: verify.py on a local archive copy (signature, chain, object hashes, Merkle roots) vs a
  plain SHA-256 over the same stored bytes

Run with `make bench` (builds nothing; uses the dev venv). Numbers vary by machine; ratios travel.
"""

from __future__ import annotations

import base64
import importlib
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT / "scripts")]

import fastjsonschema  # noqa: E402
import package  # noqa: E402
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent  # noqa: E402

from audit_shared.events import canonical_json  # noqa: E402
from audit_shared.schema import load_schema  # noqa: E402
from audit_shared.validation import EventPolicy, validate_event  # noqa: E402

POLICY = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))
NOW_MS = int(time.time() * 1000)


def best_of(runs: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings)


def examples() -> list[dict]:
    events = [json.loads(path.read_text()) for path in sorted((ROOT / "examples" / "events").glob("*.json"))]
    for event in events:
        event["timestamp"] = NOW_MS - 1000
    return events


def bench_cold_start(tmp: Path) -> tuple[float, float]:
    (tmp / "bench_validator.py").write_bytes(package.compiled_validator())
    sys.path.insert(0, str(tmp))

    def import_precompiled() -> None:
        sys.modules.pop("bench_validator", None)
        importlib.invalidate_caches()
        importlib.import_module("bench_validator")

    schema = load_schema()
    compiled = best_of(5, lambda: fastjsonschema.compile(schema, use_default=False, fast_fail=False))
    precompiled = best_of(5, import_precompiled)
    return compiled, precompiled


def bench_validation(events: list[dict], rounds: int = 50) -> tuple[float, float]:
    def validate_all() -> None:
        for event in events:
            validate_event(event, POLICY, NOW_MS)

    texts = [json.dumps(event) for event in events]

    def parse_and_serialize() -> None:
        for text in texts:
            canonical_json(json.loads(text))

    count = len(events) * rounds
    validation = best_of(3, lambda: [validate_all() for _ in range(rounds)]) / count
    baseline = best_of(3, lambda: [parse_and_serialize() for _ in range(rounds)]) / count
    return validation, baseline


def firehose_batch(events: list[dict], target_bytes: int = 1024 * 1024) -> dict:
    records, size, n = [], 0, 0
    while size < target_bytes:
        data = base64.b64encode(json.dumps(events[n % len(events)]).encode()).decode()
        records.append({"recordId": f"r-{n}", "approximateArrivalTimestamp": NOW_MS, "data": data})
        size += len(data)
        n += 1
    return {"invocationId": "bench", "deliveryStreamArn": "arn", "region": "us-east-1", "records": records}


def bench_transformation(batch: dict) -> tuple[float, float, int, int]:
    from transformation.handler import process

    def transform() -> None:
        process(KinesisFirehoseEvent(batch), POLICY, NOW_MS).asdict()

    def baseline() -> None:
        for record in batch["records"]:
            base64.b64encode(base64.b64decode(record["data"]))

    transform_time = best_of(3, transform)
    baseline_time = best_of(3, baseline)
    tracemalloc.start()
    transform()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    batch_bytes = sum(len(record["data"]) for record in batch["records"])
    return transform_time, baseline_time, peak, batch_bytes


def signed_archive_copy(root: Path, events: list[dict], objects: int = 20, per_object: int = 2000) -> tuple[Path, int]:
    """A local archive copy with one signed digest over objects x per_object events; the PEM key path."""
    import gzip

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from audit_shared import digests, merkle
    from audit_shared.events import ndjson_line

    key = ec.generate_private_key(ec.SECP256R1())
    sealed, hashes_ = [], []
    for n in range(objects):
        object_key = f"data/initiatorsystemcode=CRM_WEB/eventtype=BENCH/year=2026/month=11/day=01/bench-{n:04d}.gz"
        lines = [ndjson_line({**events[i % len(events)], "eventid": f"bench-{n}-{i}"}) for i in range(per_object)]
        raw = gzip.compress(b"".join(lines))
        (root / object_key).parent.mkdir(parents=True, exist_ok=True)
        (root / object_key).write_bytes(raw)
        entry, leaves = digests.seal_object(object_key, "null", raw)
        sealed.append(entry)
        hashes_ += leaves
    document = digests.build_document(
        sequence=1, bucket="bench", period_start_ms=NOW_MS - 3_600_000, period_end_ms=NOW_MS + 3_600_000,
        previous=None, objects=sealed, root=merkle.root_from_hashes(hashes_), total_events=len(hashes_),
        key_id="bench-key",
    )  # fmt: skip
    body = digests.encode(document)
    (root / "digests").mkdir()
    (root / digests.digest_key(1)).write_bytes(body)
    (root / digests.signature_key(digests.digest_key(1))).write_bytes(key.sign(body, ec.ECDSA(hashes.SHA256())))
    pem = root / "bench.pem"
    pem.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return pem, len(hashes_)


def bench_verify(root: Path, events: list[dict]) -> tuple[float, float, int]:
    import hashlib

    from verifier.archive import verify_archive
    from verifier.keys import pem_key
    from verifier.sources import DirectorySource

    pem, count = signed_archive_copy(root, events)
    stored = [path.read_bytes() for path in sorted((root / "data").rglob("*.gz"))]

    def run_verify() -> None:
        report = verify_archive(DirectorySource(root), pem_key(pem), 0, lambda _message: None)
        assert report.exit_code == 0, report.findings

    verify_time = best_of(3, run_verify)
    sha_time = best_of(3, lambda: [hashlib.sha256(data).digest() for data in stored])
    return verify_time, sha_time, count


def main() -> int:
    import tempfile

    events = examples()
    with tempfile.TemporaryDirectory() as tmp:
        compiled, precompiled = bench_cold_start(Path(tmp))
    validation, baseline = bench_validation(events)
    batch = firehose_batch(events)
    transform_time, base64_time, peak, batch_bytes = bench_transformation(batch)
    records = len(batch["records"])
    with tempfile.TemporaryDirectory() as tmp:
        verify_time, sha_time, verified_events = bench_verify(Path(tmp), events)
    print(f"{'benchmark':<44} {'measured':>14} {'baseline':>14} {'ratio':>8}")
    rows = [
        ("cold start: precompiled vs compiling schema", f"{precompiled * 1e3:.2f} ms", f"{compiled * 1e3:.2f} ms",
         precompiled / compiled),
        ("validate one event vs parse+serialize it", f"{validation * 1e6:.1f} us", f"{baseline * 1e6:.1f} us",
         validation / baseline),
        (f"transform 1 MB batch ({records} records) vs b64", f"{transform_time * 1e3:.1f} ms",
         f"{base64_time * 1e3:.1f} ms", transform_time / base64_time),
        ("peak memory transforming vs batch size", f"{peak / 2**20:.1f} MiB", f"{batch_bytes / 2**20:.1f} MiB",
         peak / batch_bytes),
        (f"verify {verified_events} events vs SHA-256 of the bytes", f"{verified_events / verify_time:,.0f} ev/s",
         f"{verified_events / sha_time:,.0f} ev/s", verify_time / sha_time),
    ]  # fmt: skip
    for name, measured, base, ratio in rows:
        print(f"{name:<44} {measured:>14} {base:>14} {ratio:>7.2f}x")
    print(
        f"\nvalidation throughput: {1 / validation:,.0f} events/s; transformation: {records / transform_time:,.0f} records/s"
    )
    print(f"verify throughput: {verified_events / verify_time:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
