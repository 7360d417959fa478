#!/usr/bin/env python3
"""Benchmarks for the hot paths, each reported as a ratio against a baseline measured in the same run.

- cold start: importing the precompiled schema validator vs compiling the schema at start-up
- validation: validate_event per event vs json.loads + canonical json.dumps of the same event
- transformation: one 1 MB Firehose batch through the processor vs base64 decode/encode alone
- memory: peak traced allocation while transforming that batch vs the batch's own size

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
from aws_lambda_powertools.utilities.data_classes import KinesisFirehoseEvent  # noqa: E402

import package  # noqa: E402
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


def main() -> int:
    import tempfile

    events = examples()
    with tempfile.TemporaryDirectory() as tmp:
        compiled, precompiled = bench_cold_start(Path(tmp))
    validation, baseline = bench_validation(events)
    batch = firehose_batch(events)
    transform_time, base64_time, peak, batch_bytes = bench_transformation(batch)
    records = len(batch["records"])
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
    ]  # fmt: skip
    for name, measured, base, ratio in rows:
        print(f"{name:<44} {measured:>14} {base:>14} {ratio:>7.2f}x")
    print(
        f"\nvalidation throughput: {1 / validation:,.0f} events/s; transformation: {records / transform_time:,.0f} records/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
