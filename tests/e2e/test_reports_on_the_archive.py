"""End to end on LocalStack: `make report` over the local stack's archive matches a known posted set."""

from __future__ import annotations

import json
import random
import subprocess
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from report_events import COMPARED, DAY, compared, expected, known_events

import local_stack
import rest
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

DELIVERY_TIMEOUT = 150


def make_report(name: str, base_ms: int, *extra: str) -> list[dict[str, Any]]:
    period = [f"FROM={base_ms}", f"TO={base_ms + 2 * DAY - 1}"]
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "report", f"NAME={name}", *period, "FORMAT=json", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def posted(stack: dict[str, Any]) -> tuple[int, str]:
    """The known set, on two days of their own (a random past date, so no other test's events share them)."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    base_ms = int(today.timestamp() * 1000) - random.randrange(400, 3000) * DAY
    tag = f"rpt-{uuid.uuid4().hex[:8]}"
    events = known_events(example_events(), base_ms, tag)
    reply = rest.call(stack["api_local_url"], "POST", "/v1/events/batch", stack["api_keys"]["crm"], {"events": events})
    assert reply.status == 200 and not reply.body["failed"], reply.text
    local_stack.archived_for_requestors(stack["archive_bucket_name"], tag, len(events), DELIVERY_TIMEOUT)
    time.sleep(1)
    return base_ms, tag


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_make_report_numbers_match_the_posted_set(name: str, posted: tuple[int, str]) -> None:
    base_ms, tag = posted
    rows = make_report(name, base_ms)
    columns = list(rows[0]) if rows else []
    assert compared(columns, [tuple(row.values()) for row in rows], name) == expected(base_ms, tag)[name]


def test_the_initiator_narrows_the_report(posted: tuple[int, str]) -> None:
    base_ms, tag = posted
    rows = make_report("failed_logins_per_requestor_per_day", base_ms, "INITIATOR=CRM_MBL")
    assert [(row["initiatorsystemcode"], row["requestorid"], row["failed_logins"]) for row in rows] == [
        ("CRM_MBL", f"{tag}-r1", 1)
    ]
