#!/usr/bin/env python3
"""Realistic test events built from examples/events/, as NDJSON on stdout (for `aaas post-file`).

  generate_events.py N [--seed S] [--types T,T]    e.g.  scripts/generate_events.py 20 | aaas post-file - --local

Each is a shipped example with a fresh requestor, address and time in the last hour, and no eventid
(the SDK adds a UUIDv7 when it posts).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples" / "events"


def generate_events(count: int, seed: int | None = None, types: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Realistic events: the shipped examples (of `types`, default all), with fresh requestors, addresses, times and no ids."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    paths = sorted(EXAMPLES_DIR.glob("*.json"))
    templates = [json.loads(path.read_text()) for path in paths if types is None or path.stem in types]
    now_ms = int(time.time() * 1000)
    events = []
    for _ in range(count):
        event = copy.deepcopy(rng.choice(templates))
        event.pop("eventid", None)
        event["requestorid"] = f"u-{rng.randrange(10_000, 99_999)}"
        event["requestorip"] = rng.choice(
            [
                f"203.0.113.{rng.randrange(1, 255)}",
                f"198.51.100.{rng.randrange(1, 255)}",
                f"2001:db8::{rng.randrange(1, 0xFFFF):x}",
            ]
        )
        event["timestamp"] = now_ms - rng.randrange(0, 3_600_000)
        events.append(event)
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--types", help="comma-separated event types (default: all)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    types = set(args.types.split(",")) if args.types else None
    for event in generate_events(args.count, args.seed, types):
        sys.stdout.write(json.dumps(event) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
