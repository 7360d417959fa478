"""The raw body of a JSON request through API Gateway: content type, base64 and size checks.

Shared by the POST routes (ingestion, exports), so every one answers 415/413/400 the same way.
"""

from __future__ import annotations

import base64

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent


class BodyError(Exception):
    """The body cannot be read as the route needs: 415, 413 or 400 with a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def raw_json_body(event: APIGatewayProxyEvent, max_bytes: int) -> bytes:
    """The body's bytes, once its Content-Type is application/json and its size within max_bytes."""
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise BodyError(415, f"Content-Type must be application/json, got {content_type or 'none'!r}")
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise BodyError(400, "request body is not valid base64") from exc
    else:
        # surrogatepass: a body holding lone surrogates must reach the JSON layer as the invalid UTF-8
        # it is, and be refused there with a 400, instead of failing to encode here with a 500.
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > max_bytes:
        raise BodyError(413, f"request body is {len(raw)} bytes; the limit is {max_bytes}")
    return raw
