"""HTTP-level checks of a posted request: content type, size and JSON body."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from audit_shared import jsonio
from audit_shared.http_body import BodyError, raw_json_body
from audit_shared.validation import MAX_EVENT_BYTES

MAX_BATCH_EVENTS = 500
MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024  # Firehose PutRecordBatch's limit for a whole call
# A single event may be pretty-printed; its canonical form is still held to MAX_EVENT_BYTES.
MAX_SINGLE_BODY_BYTES = 2 * MAX_EVENT_BYTES


class RequestError(Exception):
    """A client mistake, answered with a 4xx status and a JSON body."""

    def __init__(self, status: int, message: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def request_body(event: APIGatewayProxyEvent, max_bytes: int) -> bytes:
    """The raw body of a JSON request, after the checks that need no parsing (415, 413, empty)."""
    try:
        raw = raw_json_body(event, max_bytes)
    except BodyError as exc:
        raise RequestError(exc.status, exc.message) from exc
    if not raw.strip():
        raise RequestError(400, "request body is empty")
    return raw


def parse_body(raw: bytes) -> Any:
    try:
        return jsonio.loads(raw)
    except jsonio.JSONError as exc:
        # A body that can never succeed is the sender's to fix: a 400 naming why, never a retryable 5xx.
        raise RequestError(400, f"request body is not valid JSON: {exc.reason}") from exc


def batch_events(body: Any) -> list[Any]:
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise RequestError(
            400,
            "batch body must be a JSON object with an 'events' array",
            [{"field": "events", "message": "is required and must be an array"}],
        )
    unknown = sorted(set(body) - {"events"})
    errors = [{"field": name, "message": "is not an allowed field"} for name in unknown]
    events = body["events"]
    if not 1 <= len(events) <= MAX_BATCH_EVENTS:
        errors.append({"field": "events", "message": f"must hold 1 to {MAX_BATCH_EVENTS} events; got {len(events)}"})
    if errors:
        raise RequestError(400, "batch body is invalid", errors)
    return events
