"""JSON answers of the API functions (ingestion and query) that do not depend on the route."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit


def json_response(status: int, body: dict[str, Any] | str) -> Response:
    """A JSON response; a str body is sent as is (already-canonical JSON, such as archived events)."""
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def answer_unexpected_errors(app: APIGatewayRestResolver, logger: Logger, metrics: Metrics) -> None:
    """Any fault of ours or of AWS, never of the request: a JSON 500 the client may retry, details in the log."""

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        logger.exception("unexpected error")
        metrics.add_metric("InternalErrors", MetricUnit.Count, 1)
        return json_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, {"message": "internal error; retry later", "retryable": True}
        )
