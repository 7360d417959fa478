#!/usr/bin/env python3
"""Post audit events to the Audit as a Service API.

  audit_client.py post EVENT.json            one event (a file, or '-' for standard input)
  audit_client.py post-file EVENTS.ndjson    a JSON array, a JSON object or NDJSON lines, in batches
  audit_client.py generate N                 N realistic events built from examples/events/

The API URL and keys come from `terraform output` of terraform/ by default; --url/--api-key or
AUDIT_API_URL/AUDIT_API_KEY override them. With the default --client auto, each event is posted with
the key of the client system allowed to send its initiatorsystemcode. --local (or
AUDIT_LOCALSTACK=1) rewrites the AWS invoke URL to LocalStack's execute-api endpoint. Prints one line
per item and exits 1 when any item is rejected, 2 on usage or connection errors.
Standard library only, so it runs anywhere Python 3.12+ does.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples" / "events"
BATCH_LIMIT = 500
BATCH_BYTES_LIMIT = 4 * 1024 * 1024 - 1024  # leave room for the {"events": [...]} envelope
AWS_INVOKE_URL = re.compile(r"^https://(?P<api>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com/(?P<stage>[^/]+)/?$")


class ClientError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


@dataclass(frozen=True)
class Endpoint:
    url: str
    keys_by_initiator: dict[str, str]  # initiator code -> API key value
    default_key: str | None


@dataclass
class Tally:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    eventids: list[str] = field(default_factory=list)


def terraform_outputs(directory: Path) -> dict[str, Any]:
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            ["terraform", f"-chdir={directory}", "output", "-json"],  # noqa: S607 - terraform from PATH
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise ClientError("terraform is not on PATH; pass --url and --api-key instead") from exc
    outputs = json.loads(result.stdout or "{}") if result.returncode == 0 else {}
    if "api_invoke_url" not in outputs:
        raise ClientError(f"no api_invoke_url output in {directory} (apply it first, or pass --url and --api-key)")
    return {name: value["value"] for name, value in outputs.items()}


def localstack_url(url: str, endpoint: str) -> str:
    match = AWS_INVOKE_URL.match(url)
    if not match:
        return url
    return f"{endpoint.rstrip('/')}/_aws/execute-api/{match['api']}/{match['stage']}"


def resolve_endpoint(args: argparse.Namespace) -> Endpoint:
    url = args.url or os.environ.get("AUDIT_API_URL")
    key = args.api_key or os.environ.get("AUDIT_API_KEY")
    keys_by_initiator: dict[str, str] = {}
    if not url or not key:
        outputs = terraform_outputs(args.terraform_dir)
        url = url or outputs["api_invoke_url"]
        keys = outputs.get("api_keys") or {}
        key_ids = outputs.get("api_key_ids") or {}
        initiators = {key_id: access["write"] for key_id, access in (outputs.get("api_clients") or {}).items()}
        if args.client != "auto":
            if args.client not in keys:
                raise ClientError(f"unknown client {args.client!r}; known: {', '.join(sorted(keys))}")
            key = key or keys[args.client]
        else:
            for client, value in keys.items():
                for code in initiators.get(key_ids.get(client, ""), []):
                    keys_by_initiator[code] = value
    if args.local or os.environ.get("AUDIT_LOCALSTACK") == "1":
        url = localstack_url(url, os.environ.get("LOCALSTACK_ENDPOINT", "http://127.0.0.1:4566"))
    if not key and not keys_by_initiator:
        raise ClientError("no API key: pass --api-key, set AUDIT_API_KEY, or apply terraform/ first")
    return Endpoint(url=url.rstrip("/"), keys_by_initiator=keys_by_initiator, default_key=key)


def read_events(source: str) -> list[Any]:
    """A JSON array, a single JSON object, or NDJSON (one event per line)."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ClientError(f"cannot read {source}: {exc.strerror}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        events = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ClientError(f"{source}:{number}: not JSON: {exc.msg}") from exc
        return events
    return document if isinstance(document, list) else [document]


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


def batches(events: list[Any]) -> Iterator[list[tuple[int, Any]]]:
    """(original position, event) groups within the API's count and size limits."""
    batch: list[tuple[int, Any]] = []
    size = 0
    for position, event in enumerate(events):
        event_size = len(json.dumps(event).encode()) + 1
        if batch and (len(batch) == BATCH_LIMIT or size + event_size > BATCH_BYTES_LIMIT):
            yield batch
            batch, size = [], 0
        batch.append((position, event))
        size += event_size
    if batch:
        yield batch


def post_json(url: str, api_key: str, body: Any, timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(  # noqa: S310 - the URL is the user's API endpoint
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "x-api-key": api_key, "User-Agent": "audit-client/1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ClientError(f"cannot reach {url}: {reason}") from exc
    try:
        return status, json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        return status, {"message": raw.decode(errors="replace")[:200]}


class Progress:
    """A one-line progress bar on stderr, drawn only for a terminal or when forced."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.done, self.stream, self.enabled = total, 0, stream, enabled

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled:
            filled = int(30 * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()


def key_for(endpoint: Endpoint, event: Any) -> str:
    code = event.get("initiatorsystemcode") if isinstance(event, dict) else None
    key = endpoint.keys_by_initiator.get(code or "") or endpoint.default_key
    if key:
        return key
    # No client may send this initiator: post with any key so the API explains the refusal.
    return next(iter(endpoint.keys_by_initiator.values()))


def describe_failure(item: dict[str, Any]) -> str:
    details = "; ".join(f"{error['field'] or '(event)'}: {error['message']}" for error in item.get("errors", []))
    return f"{item.get('errorcode', 'Error')} ({item.get('status')}): {details or item.get('message', '')}"


def send(events: list[Any], endpoint: Endpoint, out: TextIO, progress: Progress, timeout: float) -> Tally:
    tally = Tally()
    groups: dict[str, list[tuple[int, Any]]] = {}
    for position, event in enumerate(events):
        groups.setdefault(key_for(endpoint, event), []).append((position, event))
    for api_key, keyed in groups.items():
        for batch in batches([event for _, event in keyed]):
            positions = [keyed[index][0] for index, _ in batch]
            results = post_batch(endpoint, api_key, [event for _, event in batch], timeout)
            for index, outcome, text in results:
                record(tally, outcome, text, positions[index], out)
            progress.advance(len(batch))
    return tally


def post_batch(endpoint: Endpoint, api_key: str, events: list[Any], timeout: float) -> Iterable[tuple[int, str, Any]]:
    if len(events) == 1:
        status, body = post_json(f"{endpoint.url}/v1/events", api_key, events[0], timeout)
        if status in (200, 201) and "eventid" in body:
            return [(0, "duplicate" if body.get("duplicate") else "accepted", body["eventid"])]
        return [(0, "rejected", describe_failure({"status": status, **body}))]
    status, body = post_json(f"{endpoint.url}/v1/events/batch", api_key, {"events": events}, timeout)
    if "successful" not in body:
        return [(index, "rejected", describe_failure({"status": status, **body})) for index in range(len(events))]
    results = [
        (item["index"], "duplicate" if item["duplicate"] else "accepted", item["eventid"])
        for item in body["successful"]
    ]
    results += [(item["index"], "rejected", describe_failure(item)) for item in body["failed"]]
    return sorted(results)


def record(tally: Tally, outcome: str, text: str, position: int, out: TextIO) -> None:
    if outcome == "rejected":
        tally.rejected += 1
        reason = text.split(":")[0]
        tally.reasons[reason] = tally.reasons.get(reason, 0) + 1
    else:
        tally.accepted += outcome == "accepted"
        tally.duplicates += outcome == "duplicate"
        tally.eventids.append(text)
    out.write(f"{position}\t{outcome}\t{text}\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="audit_client.py", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="API invoke URL (default: terraform output api_invoke_url)")
    parser.add_argument("--api-key", help="API key value (default: terraform output api_keys)")
    parser.add_argument("--client", default="auto", help="client system whose key to use (default: auto)")
    parser.add_argument("--terraform-dir", type=Path, default=ROOT / "terraform")
    parser.add_argument("--local", action="store_true", help="talk to LocalStack's execute-api endpoint")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--progress", choices=["auto", "always", "never"], default="auto")
    parser.add_argument("--json", action="store_true", help="print a JSON summary at the end")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("post", help="post one event").add_argument("source")
    commands.add_parser("post-file", help="post events from a JSON or NDJSON file").add_argument("source")
    generate = commands.add_parser("generate", help="post N generated realistic events")
    generate.add_argument("count", type=int)
    generate.add_argument("--seed", type=int)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    args = parse_args(argv)
    try:
        if args.command == "generate":
            if args.count < 1:
                raise ClientError("count must be at least 1")
            events = generate_events(args.count, args.seed)
        else:
            events = read_events(args.source)
            if args.command == "post" and len(events) != 1:
                raise ClientError(f"post takes exactly one event; {args.source} holds {len(events)} (use post-file)")
        if not events:
            raise ClientError("no events to post")
        endpoint = resolve_endpoint(args)
        show = args.progress == "always" or (args.progress == "auto" and err.isatty())
        tally = send(events, endpoint, out, Progress(len(events), err, show), args.timeout)
    except ClientError as exc:
        err.write(f"audit-client: error: {exc}\n")
        return 2
    summary = f"{tally.accepted} accepted, {tally.duplicates} duplicate, {tally.rejected} rejected"
    err.write(f"{summary}\n")
    if args.json:
        out.write(json.dumps({"accepted": tally.accepted, "duplicates": tally.duplicates, "rejected": tally.rejected,
                              "reasons": tally.reasons, "eventids": tally.eventids}) + "\n")  # fmt: skip
    return 1 if tally.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
