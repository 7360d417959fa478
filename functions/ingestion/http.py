"""HTTP-level checks of a posted request: content type, size and JSON body."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from audit_shared import jsonio
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


def _raw_body(event: APIGatewayProxyEvent) -> bytes:
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise RequestError(400, "request body is not valid base64") from exc
    # surrogatepass: a body holding lone surrogates must reach the JSON layer as the invalid UTF-8 it
    # is, and be refused there with a 400, instead of failing to encode here with a 500.
    return body.encode("utf-8", "surrogatepass")


def request_body(event: APIGatewayProxyEvent, max_bytes: int) -> bytes:
    """The raw body of a JSON request, after the checks that need no parsing (415, 413, empty)."""
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise RequestError(415, f"Content-Type must be application/json, got {content_type or 'none'!r}")
    raw = _raw_body(event)
    if len(raw) > max_bytes:
        raise RequestError(413, f"request body is {len(raw)} bytes; the limit is {max_bytes}")
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
