"""Query Lambda: GET /v1/events, /v1/events/{eventid} and /v1/events/{eventid}/proof behind API Gateway."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from types import SimpleNamespace
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from audit_shared.access import ClientAccess, clients_env
from audit_shared.api_responses import answer_refusals, answer_unexpected_errors, json_response
from audit_shared.clock import now_millis
from audit_shared.config import positive_int_env, required_env
from audit_shared.derived_keys import derive_key
from audit_shared.proofs import ProofUnavailableError
from query.cursor import CursorCodec
from query.params import QueryError
from query.reader import IndexUnavailableError
from query.service import Settings, event_proof, get_event, search

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
answer_unexpected_errors(app, logger, metrics)
answer_refusals(app, logger, metrics)


@cache
def settings() -> Settings:
    return Settings(
        table_name=required_env("INDEX_TABLE_NAME"),
        clients=clients_env(),
        retention_days=positive_int_env("INDEX_RETENTION_DAYS"),
        cursor_ttl_seconds=positive_int_env("CURSOR_TTL_SECONDS"),
        bucket=required_env("ARCHIVE_BUCKET_NAME"),
        ledger_table=required_env("LEDGER_TABLE_NAME"),
        digest_interval_minutes=positive_int_env("DIGEST_INTERVAL_MINUTES"),
    )


@cache
def clients() -> SimpleNamespace:
    return SimpleNamespace(dynamodb=boto3.client("dynamodb"), kms=boto3.client("kms"), s3=boto3.client("s3"))


@cache
def cursor_codec() -> CursorCodec:
    key = derive_key(clients().kms, required_env("CURSOR_KEY_ID"), "cursor/v1")
    return CursorCodec(key=key, ttl_seconds=settings().cursor_ttl_seconds)


def _reader() -> ClientAccess:
    key_id = app.current_event.request_context.identity.api_key_id
    access = settings().clients.get(key_id or "")
    if access is None or "read" not in access.scopes:
        raise QueryError(403, "Forbidden", "this API key lacks the 'read' scope: it may not read events")
    return access


def _params() -> dict[str, list[str]]:
    return dict(app.current_event.multi_value_query_string_parameters or {})


@app.get("/v1/events")
def search_events() -> Response:
    body = search(clients().dynamodb, settings(), _reader(), _params(), cursor_codec(), now_millis() // 1000)
    metrics.add_metric("SearchPages", MetricUnit.Count, 1)
    return json_response(HTTPStatus.OK, body)


@app.get("/v1/events/<eventid>")
def get_one_event(eventid: str) -> Response:
    body = get_event(clients().dynamodb, settings(), _reader(), eventid, _params())
    metrics.add_metric("EventsRead", MetricUnit.Count, 1)
    return json_response(HTTPStatus.OK, body)


@app.get("/v1/events/<eventid>/proof")
def get_event_proof(eventid: str) -> Response:
    proof = event_proof(clients(), settings(), _reader(), eventid, _params(), now_millis())
    metrics.add_metric("ProofsServed", MetricUnit.Count, 1)
    return json_response(HTTPStatus.OK, proof)


@app.exception_handler(ProofUnavailableError)
def handle_proof_unavailable(error: ProofUnavailableError) -> Response:
    # The archive no longer matches the digest that sealed the event: an integrity failure that
    # `make verify` names; the client learns that no honest proof can be given.
    logger.error("proof unavailable", extra={"reason": str(error)})
    metrics.add_metric("ProofsUnavailable", MetricUnit.Count, 1)
    body = {"errorcode": "ProofUnavailable", "message": f"no proof can be given: {error}"}
    return json_response(HTTPStatus.CONFLICT, body)


@app.exception_handler(IndexUnavailableError)
def handle_unavailable(error: IndexUnavailableError) -> Response:
    logger.warning("index unavailable", extra={"reason": str(error)})
    body = {"errorcode": "ServiceUnavailable", "message": "the index is busy; retry later", "retryable": True}
    return json_response(HTTPStatus.SERVICE_UNAVAILABLE, body)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
