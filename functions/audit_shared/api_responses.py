"""JSON answers of the API functions (ingestion, query, export) that do not depend on the route."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit

from audit_shared.filters import RequestError


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


def answer_refusals(app: APIGatewayRestResolver, logger: Logger, metrics: Metrics) -> None:
    """The read routes' refusals (query, export): a RequestError as its status and body, an unknown route as 404."""

    @app.exception_handler(RequestError)
    def handle_request_error(error: RequestError) -> Response:
        logger.info("request refused", extra={"status": error.status, "errorcode": error.errorcode})
        metrics.add_metric("RequestsRefused", MetricUnit.Count, 1)
        return json_response(error.status, error.body())

    @app.not_found
    def handle_not_found(_: NotFoundError) -> Response:
        metrics.add_metric("RequestsRefused", MetricUnit.Count, 1)
        return json_response(
            HTTPStatus.NOT_FOUND, {"errorcode": "NoRoute", "message": f"no route for {app.current_event.path}"}
        )
