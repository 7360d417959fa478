"""The client CLI's own logic: reading files, batching, URL rewriting and its one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import audit_client


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = audit_client.main(argv, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_reads_a_json_array_an_object_and_ndjson(tmp_path: Path) -> None:
    events = [{"eventtype": "LOGIN_SUCCESSFUL"}, {"eventtype": "LOGOUT_SUCCESSFUL"}]
    (tmp_path / "array.json").write_text(json.dumps(events))
    (tmp_path / "one.json").write_text(json.dumps(events[0], indent=2))
    (tmp_path / "lines.ndjson").write_text("\n".join(json.dumps(event) for event in events) + "\n\n")
    assert audit_client.read_events(str(tmp_path / "array.json")) == events
    assert audit_client.read_events(str(tmp_path / "one.json")) == [events[0]]
    assert audit_client.read_events(str(tmp_path / "lines.ndjson")) == events


def test_a_broken_ndjson_line_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ndjson"
    path.write_text('{"a": 1}\n{"b": \n')
    status, out, err = run(["--url", "http://127.0.0.1:9", "--api-key", "k", "post-file", str(path)])
    assert (status, out) == (2, "")
    assert err == f"audit-client: error: {path}:2: not JSON: Expecting value\n"


def test_missing_file_and_unreachable_api_are_one_line_errors(tmp_path: Path) -> None:
    status, _, err = run(["--url", "http://127.0.0.1:9", "--api-key", "k", "post", str(tmp_path / "nope.json")])
    assert (status, err) == (
        2,
        f"audit-client: error: cannot read {tmp_path / 'nope.json'}: No such file or directory\n",
    )
    status, _, err = run(["--url", "http://127.0.0.1:9", "--api-key", "k", "generate", "3", "--seed", "1"])
    assert status == 2
    assert err.startswith("audit-client: error: cannot reach http://127.0.0.1:9/v1/events/batch: ")
    assert err.count("\n") == 1


def test_post_takes_exactly_one_event(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text("[{}, {}]")
    status, _, err = run(["--url", "http://127.0.0.1:9", "--api-key", "k", "post", str(path)])
    assert (status, err) == (2, f"audit-client: error: post takes exactly one event; {path} holds 2 (use post-file)\n")


def test_batches_respect_count_and_size_limits() -> None:
    small = [{"n": n} for n in range(1201)]
    assert [len(batch) for batch in audit_client.batches(small)] == [500, 500, 201]
    large = [{"details": "x" * 1_000_000} for _ in range(9)]
    sizes = [len(batch) for batch in audit_client.batches(large)]
    assert sum(sizes) == 9 and max(sizes) <= 4
    assert [position for batch in audit_client.batches(large) for position, _ in batch] == list(range(9))


def test_generated_events_are_valid_for_the_schema() -> None:
    from audit_shared.validation import EventPolicy, validate_event

    policy = EventPolicy(allowed_initiators=frozenset({"CRM_WEB", "CRM_MBL", "ERP_WEB"}))
    events = audit_client.generate_events(200, seed=7)
    assert len({event["requestorid"] for event in events}) > 150
    assert not [event for event in events if "eventid" in event]
    assert all(validate_event(event, policy, event["timestamp"] + 1000) == [] for event in events)


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "http://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/prod",
        ),
        (
            "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/live/",
            "http://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/live",
        ),
        ("https://audit.example.com/v1", "https://audit.example.com/v1"),
    ],
)
def test_local_flag_rewrites_aws_invoke_urls(url: str, expected: str) -> None:
    assert audit_client.localstack_url(url, "http://127.0.0.1:4566") == expected


def test_without_terraform_outputs_it_says_what_to_pass(tmp_path: Path) -> None:
    status, _, err = run(["--terraform-dir", str(tmp_path), "generate", "1"])
    assert status == 2
    assert (
        err
        == f"audit-client: error: no api_invoke_url output in {tmp_path} (apply it first, or pass --url and --api-key)\n"
    )
