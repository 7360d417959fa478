"""The client CLI against the applied stack: URL and keys from terraform output, per-item results."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import local_stack
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit_client.py"), "--local", "--json", *args],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def summary(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return json.loads(result.stdout.splitlines()[-1])


def test_generate_posts_realistic_events_that_are_all_stored(stack: dict[str, Any]) -> None:
    result = cli("generate", "120", "--seed", "42")
    assert result.returncode == 0, result.stderr
    posted = summary(result)
    assert (posted["accepted"], posted["rejected"]) == (120, 0)
    assert result.stderr.strip().endswith("120 accepted, 0 duplicate, 0 rejected")
    archived = local_stack.archived_events(stack["archive_bucket_name"])
    assert set(posted["eventids"]) <= archived.keys()
    initiators = {eventid: archived[eventid][1]["initiatorsystemcode"] for eventid in posted["eventids"]}
    assert local_stack.indexed_event_ids(stack["index_table_name"], initiators) == set(posted["eventids"])


def test_post_file_reports_each_item_and_exits_1_on_a_rejection(stack: dict[str, Any], tmp_path: Path) -> None:
    good = example_events()["LOGOUT_SUCCESSFUL"]
    good["timestamp"] = int(time.time() * 1000) - 1000
    bad = dict(good, requestorip="not-an-ip")
    path = tmp_path / "events.ndjson"
    path.write_text(f"{json.dumps(good)}\n{json.dumps(bad)}\n")
    result = cli("post-file", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()[:-1]
    assert lines[0].startswith("0\taccepted\t")
    assert lines[1] == "1\trejected\tValidationError (400): requestorip: must be an IPv4 or IPv6 address"
    assert summary(result)["reasons"] == {"ValidationError (400)": 1}


def test_query_index_finds_events_by_id_and_by_requestor(stack: dict[str, Any], tmp_path: Path) -> None:
    event = example_events()["PASSWORD_CHANGED"]
    event.update(requestorid=f"u-query-{int(time.time())}", timestamp=int(time.time() * 1000) - 1000)
    path = tmp_path / "one.json"
    path.write_text(json.dumps(event))
    posted = summary(cli("post", str(path)))
    [eventid] = posted["eventids"]
    query = [
        sys.executable,
        str(ROOT / "scripts" / "query_index.py"),
        "--local",
        "--initiator",
        event["initiatorsystemcode"],
    ]
    by_id = subprocess.run([*query, "--eventid", eventid], capture_output=True, text=True, timeout=120, check=True)
    by_requestor = subprocess.run(
        [*query, "--requestor", event["requestorid"], "--minutes", "10"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    [found_by_id] = [json.loads(line) for line in by_id.stdout.splitlines()]
    [found_by_requestor] = [json.loads(line) for line in by_requestor.stdout.splitlines()]
    assert found_by_id == found_by_requestor
    assert (found_by_id["eventid"], found_by_id["requestorid"]) == (eventid, event["requestorid"])
    assert by_requestor.stderr == "1 event(s)\n"
