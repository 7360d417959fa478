"""Ingestion Lambda: POST /v1/events and POST /v1/events/batch behind API Gateway (REST, proxy)."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from audit_shared.access import clients_env
from audit_shared.api_responses import answer_unexpected_errors, json_response
from audit_shared.clock import now_millis
from audit_shared.config import positive_int_env, required_env, string_list_env
from audit_shared.derived_keys import derive_key
from audit_shared.record_frames import KEY_PURPOSE
from audit_shared.retry import Backoff
from audit_shared.validation import EventPolicy
from ingestion import typed_batch
from ingestion.http import (
    MAX_BATCH_BODY_BYTES,
    MAX_SINGLE_BODY_BYTES,
    RequestError,
    batch_events,
    parse_body,
    request_body,
)
from ingestion.service import Caller, Outcome, Settings, ingest, prepare

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
answer_unexpected_errors(app, logger, metrics)

ROUTES = {"/v1/events", "/v1/events/batch"}
# Retries of Firehose and DynamoDB partial failures; tests swap in one that does not sleep.
BACKOFF = Backoff()


@cache
def settings() -> Settings:
    return Settings(
        policy=EventPolicy(allowed_initiators=string_list_env("ALLOWED_INITIATOR_CODES")),
        clients=clients_env(),
        stream_name=required_env("DELIVERY_STREAM_NAME"),
        table_name=required_env("INDEX_TABLE_NAME"),
        retention_days=positive_int_env("INDEX_RETENTION_DAYS"),
        claim_ms=positive_int_env("IDEMPOTENCY_CLAIM_SECONDS") * 1000,
    )


# The eventid claims are conditional puts inside a request the function must answer within its timeout
# (15 s by default). The SDK's default for DynamoDB, 10 attempts with up to ~25 s of back-off, outlasts
# that under sustained throttling and turns the documented retryable 503 into a timeout. Three attempts
# (DynamoDB's 50 ms base, doubling: 0.15 s of back-off) keep even a 500-event batch, claimed 16 at a
# time, well inside it; the client retries what is answered 503.
DYNAMODB_CONFIG = Config(retries={"mode": "legacy", "total_max_attempts": 3})


@cache
def clients() -> SimpleNamespace:
    return SimpleNamespace(
        firehose=boto3.client("firehose"),
        dynamodb=boto3.client("dynamodb", config=DYNAMODB_CONFIG),
        kms=boto3.client("kms"),
    )


@cache
def record_key() -> bytes:
    """The key that authenticates this function's Firehose records to the transformation."""
    return derive_key(clients().kms, required_env("RECORD_MAC_KEY_ID"), KEY_PURPOSE)


def _caller() -> Caller:
    identity = app.current_event.request_context.identity
    return Caller(api_key_id=identity.api_key_id, source_ip=identity.source_ip)


def _run(raw: bytes, *, batch: bool) -> Outcome:
    caller = _caller()
    if not caller.api_key_id:
        raise RequestError(403, "an API key is required")
    config = settings()
    access = config.clients.get(caller.api_key_id)
    if access is None or "write" not in access.scopes:
        raise RequestError(403, "this API key lacks the 'write' scope: it may not post events")
    now_ms = now_millis()
    candidates = typed_batch.prepare(
        raw,
        batch=batch,
        policy=config.policy,
        writable=access.write_initiators,
        source_ip=caller.source_ip,
        api_key_id=caller.api_key_id,
        now_ms=now_ms,
    )
    if candidates is None:  # something to refuse, or to look at more closely: the general path
        body = parse_body(raw)
        candidates, refused = prepare(batch_events(body) if batch else [body], caller, config, now_ms)
    else:
        refused = []
    outcome = ingest(candidates, refused, config, clients(), now_ms, BACKOFF, record_key())
    _record(outcome)
    return outcome


def _record(outcome: Outcome) -> None:
    metrics.add_metric("EventsAccepted", MetricUnit.Count, len(outcome.accepted) - outcome.duplicates)
    metrics.add_metric("EventsDuplicate", MetricUnit.Count, outcome.duplicates)
    metrics.add_metric("EventsRejected", MetricUnit.Count, sum(1 for item in outcome.refused if not item.retryable))
    metrics.add_metric("EventsFailedRetryable", MetricUnit.Count, sum(1 for item in outcome.refused if item.retryable))
    metrics.add_metric("DeliveryRetries", MetricUnit.Count, outcome.delivery_retries)
    if outcome.unindexed_event_ids:
        # Archived but not indexed: the event is safe in S3, yet look-ups will miss it.
        metrics.add_metric("IndexWriteFailures", MetricUnit.Count, len(outcome.unindexed_event_ids))
        logger.error("events archived but not indexed", extra={"eventids": outcome.unindexed_event_ids})
    for refusal in outcome.refused:
        logger.info("event refused", extra={"refusal": refusal.to_dict()})


@app.post("/v1/events")
def post_event() -> Response:
    outcome = _run(request_body(app.current_event, MAX_SINGLE_BODY_BYTES), batch=False)
    if outcome.refused:
        refusal = outcome.refused[0]
        body = refusal.to_dict()
        del body["index"]
        return json_response(refusal.status, body)
    accepted = outcome.accepted[0]
    body = accepted.to_dict()
    del body["index"]
    return json_response(HTTPStatus.OK if accepted.duplicate else HTTPStatus.CREATED, body)


@app.post("/v1/events/batch")
def post_batch() -> Response:
    outcome = _run(request_body(app.current_event, MAX_BATCH_BODY_BYTES), batch=True)
    body = {
        "successful": [item.to_dict() for item in outcome.accepted],
        "failed": [item.to_dict() for item in outcome.refused],
    }
    return json_response(_batch_status(outcome), body)


def _batch_status(outcome: Outcome) -> int:
    """200 when anything was stored; otherwise the status that explains every failure."""
    if outcome.accepted:
        return HTTPStatus.OK
    statuses = {item.status for item in outcome.refused}
    if any(status >= 500 for status in statuses):
        return HTTPStatus.SERVICE_UNAVAILABLE
    return statuses.pop() if len(statuses) == 1 else HTTPStatus.BAD_REQUEST


@app.exception_handler(RequestError)
def handle_request_error(error: RequestError) -> Response:
    logger.info("request refused", extra={"status": error.status, "reason": error.message})
    metrics.add_metric("RequestsRefused", MetricUnit.Count, 1)
    return json_response(error.status, error.body())


@app.not_found
def handle_not_found(_: NotFoundError) -> Response:
    metrics.add_metric("RequestsRefused", MetricUnit.Count, 1)
    path = app.current_event.path
    if path in ROUTES:
        response = json_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            {"message": f"method {app.current_event.http_method} is not allowed on {path}"},
        )
        response.headers["Allow"] = "POST"
        return response
    return json_response(HTTPStatus.NOT_FOUND, {"message": f"no route for {path}"})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
