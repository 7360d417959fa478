"""Export Lambda: POST /v1/exports and GET /v1/exports/{exportid} behind API Gateway, and the export worker.

API Gateway invokes it with proxy events; POST records the export and invokes this same function
asynchronously with ``{"aaasexport": {"client", "exportid"}}``, which runs the worker.
"""

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
from botocore.config import Config

from audit_shared.access import ClientAccess, clients_env
from audit_shared.api_responses import answer_refusals, answer_unexpected_errors, json_response
from audit_shared.clock import now_millis
from audit_shared.config import positive_int_env, required_env
from audit_shared.filters import RequestError
from audit_shared.http_body import BodyError, raw_json_body
from audit_shared.signing import KmsSigner
from export.service import WORKER_EVENT, ExportUnavailableError, Settings, describe_export, require_reader, start_export
from export.worker import WorkerSettings, run_export

MAX_BODY_BYTES = 4096
BODY_ERRORCODES = {413: "TooLarge", 415: "UnsupportedMediaType"}
logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver()
answer_unexpected_errors(app, logger, metrics)
answer_refusals(app, logger, metrics)


@cache
def settings() -> Settings:
    return Settings(
        clients=clients_env(),
        table=required_env("INDEX_TABLE_NAME"),
        retention_days=positive_int_env("INDEX_RETENTION_DAYS"),
        bucket=required_env("ARCHIVE_BUCKET_NAME"),
        url_expiry_seconds=positive_int_env("EXPORT_URL_EXPIRY_SECONDS"),
        deadline_seconds=positive_int_env("EXPORT_DEADLINE_SECONDS"),
        function_name=required_env("AWS_LAMBDA_FUNCTION_NAME"),
    )


@cache
def worker_settings() -> WorkerSettings:
    return WorkerSettings(
        table=required_env("INDEX_TABLE_NAME"),
        bucket=required_env("ARCHIVE_BUCKET_NAME"),
        kms_key_id=required_env("ARCHIVE_KMS_KEY_ID"),
        part_bytes=positive_int_env("EXPORT_PART_MEGABYTES", 8) * 1024 * 1024,
    )


@cache
def clients() -> SimpleNamespace:
    return SimpleNamespace(
        dynamodb=boto3.client("dynamodb"),
        s3=boto3.client("s3"),
        # Pre-signed URLs must be SigV4: SSE-KMS objects refuse anything else.
        s3_presign=boto3.client("s3", config=Config(signature_version="s3v4")),
        kms=boto3.client("kms"),
        lambda_=boto3.client("lambda"),
    )


@cache
def signer() -> KmsSigner:
    return KmsSigner(clients().kms, required_env("EXPORT_SIGNING_KEY_ID"))


def _reader() -> ClientAccess:
    key_id = app.current_event.request_context.identity.api_key_id
    return require_reader(settings().clients.get(key_id or ""))


@app.post("/v1/exports")
def create_export() -> Response:
    access = _reader()
    try:
        # Every field is optional: a POST without a body is an export of everything readable.
        raw = raw_json_body(app.current_event, MAX_BODY_BYTES) if app.current_event.body else b""
    except BodyError as exc:
        raise RequestError(exc.status, BODY_ERRORCODES.get(exc.status, "InvalidRequest"), exc.message) from exc
    body = start_export(clients(), settings(), access, raw, now_millis())
    metrics.add_metric("ExportsRequested", MetricUnit.Count, 1)
    return json_response(HTTPStatus.ACCEPTED, body)


@app.get("/v1/exports/<exportid>")
def get_export(exportid: str) -> Response:
    body = describe_export(clients(), settings(), _reader(), exportid, now_millis())
    metrics.add_metric("ExportStatusRead", MetricUnit.Count, 1)
    return json_response(HTTPStatus.OK, body)


@app.exception_handler(ExportUnavailableError)
def handle_unavailable(error: ExportUnavailableError) -> Response:
    logger.warning("export worker not started", extra={"reason": str(error)})
    body = {
        "errorcode": "ServiceUnavailable",
        "message": "the export could not be started; retry later",
        "retryable": True,
    }
    return json_response(HTTPStatus.SERVICE_UNAVAILABLE, body)


def _work(job: dict[str, Any]) -> dict[str, str]:
    status = run_export(clients(), worker_settings(), signer(), job["client"], job["exportid"], now_millis)
    metrics.add_metric("ExportsReady" if status == "ready" else "ExportsFailed", MetricUnit.Count, 1)
    return {"exportid": job["exportid"], "status": status}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if WORKER_EVENT in event:
        return _work(event[WORKER_EVENT])
    return app.resolve(event, context)
