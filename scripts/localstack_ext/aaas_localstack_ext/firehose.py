"""``firehose:aaas``: LocalStack's Firehose provider with AWS-like delivery to S3.

The community provider hands the processor Lambda an event without recordId/invocationId,
swallows processor errors, writes the prefix with ``!{partitionKeyFromLambda:...}`` literally and
never writes the error prefix. This subclass replaces delivery for (Extended)S3 destinations of
DirectPut streams, which is what the product uses; other destinations keep LocalStack's code.

Delivery happens synchronously inside each PutRecord/PutRecordBatch call (no time/size
buffering): one processor invocation per call, then one S3 object per partition per call.
"""

import base64
import dataclasses
import gzip
import json
import logging
import random
import re
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from localstack.aws.api import RequestContext
from localstack.aws.api.firehose import (
    DeliveryStreamEncryptionConfigurationInput,
    DeliveryStreamType,
    PutRecordBatchOutput,
    PutRecordBatchRequestEntryList,
    PutRecordBatchResponseEntry,
    PutRecordOutput,
    Record,
    ResourceNotFoundException,
    ServiceUnavailableException,
    StartDeliveryStreamEncryptionOutput,
    StopDeliveryStreamEncryptionOutput,
)
from localstack.aws.connect import connect_to
from localstack.services.firehose.provider import FirehoseProvider, next_sequence_number
from localstack.utils.aws.arns import s3_bucket_name
from localstack.utils.aws.client_types import ServicePrincipal

from aaas_localstack_ext.faults import FAULTS

LOG = logging.getLogger(__name__)

_EXPRESSION = re.compile(r"!\{([^:}]+):([^}]*)\}")
# Java DateTimeFormatter letters used in Firehose prefixes, longest first.
_JAVA_TIME = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]
_DEFAULT_TIME_PREFIX = "!{timestamp:yyyy/MM/dd/HH/}"
# What Firehose answers for a record it could not take (faults.py injects it on request).
_UNAVAILABLE = "ServiceUnavailableException"
_UNAVAILABLE_MESSAGE = "Slow down. (fault injected by aaas-localstack-ext)"
_FUNCTION_ERROR = (
    "Lambda.FunctionError",
    "The Lambda function was successfully invoked but it returned an error result.",
)


@dataclasses.dataclass
class _Item:
    record_id: str
    arrival_ms: int
    raw: bytes  # as received; rawData of error records
    data: bytes  # after processing
    partition_keys: dict[str, str] | None = None


@dataclasses.dataclass
class _Failure:
    item: _Item
    output_type: str  # value of !{firehose:error-output-type}
    code: str
    message: str
    attempts: int
    lambda_arn: str | None = None


def java_time(when: datetime, pattern: str) -> str:
    """Format ``when`` with the subset of Java DateTimeFormatter that Firehose prefixes use."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":  # quoted literal
            end = pattern.find("'", i + 1)
            end = len(pattern) if end < 0 else end
            out.append(pattern[i + 1 : end])
            i = end + 1
            continue
        for token, fmt in _JAVA_TIME:
            if pattern.startswith(token, i):
                out.append(when.strftime(fmt))
                i += len(token)
                break
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def render_prefix(
    template: str, when: datetime, keys: dict[str, str] | None = None, error_output_type: str | None = None
) -> str:
    """Expand ``!{namespace:value}``; KeyError when a partition key is missing."""

    def expand(match: re.Match[str]) -> str:
        namespace, value = match.groups()
        if namespace == "timestamp":
            return java_time(when, value)
        if namespace == "partitionKeyFromLambda":
            if not keys or value not in keys:
                raise KeyError(value)
            return str(keys[value])
        if namespace == "firehose" and value == "error-output-type" and error_output_type:
            return error_output_type
        if namespace == "firehose" and value == "random-string":
            return "".join(random.choices(string.ascii_letters + string.digits, k=11))  # noqa: S311 - not a secret
        raise ValueError(f"unsupported prefix expression {match.group(0)}")

    return _EXPRESSION.sub(expand, template)


class AwsLikeFirehoseProvider(FirehoseProvider):
    # --- stream encryption (Terraform's server_side_encryption block) ------------------------------

    def create_delivery_stream(
        self,
        context: RequestContext,
        delivery_stream_name: str,
        delivery_stream_encryption_configuration_input: DeliveryStreamEncryptionConfigurationInput | None = None,
        **kwargs: Any,
    ):
        output = super().create_delivery_stream(context, delivery_stream_name, **kwargs)
        if delivery_stream_encryption_configuration_input:
            self._set_encryption(
                context, delivery_stream_name, delivery_stream_encryption_configuration_input, "ENABLED"
            )
        return output

    def start_delivery_stream_encryption(
        self,
        context: RequestContext,
        delivery_stream_name: str,
        delivery_stream_encryption_configuration_input: DeliveryStreamEncryptionConfigurationInput | None = None,
        **kwargs: Any,
    ) -> StartDeliveryStreamEncryptionOutput:
        self._set_encryption(
            context, delivery_stream_name, delivery_stream_encryption_configuration_input or {}, "ENABLED"
        )
        return StartDeliveryStreamEncryptionOutput()

    def stop_delivery_stream_encryption(
        self, context: RequestContext, delivery_stream_name: str, **kwargs: Any
    ) -> StopDeliveryStreamEncryptionOutput:
        self._set_encryption(context, delivery_stream_name, {}, "DISABLED")
        return StopDeliveryStreamEncryptionOutput()

    def _set_encryption(
        self, context: RequestContext, name: str, config: DeliveryStreamEncryptionConfigurationInput, status: str
    ) -> None:
        stream = self._stream(context.account_id, context.region, name)
        encryption: dict[str, Any] = {"Status": status}
        if status == "ENABLED":
            encryption["KeyType"] = config.get("KeyType", "AWS_OWNED_CMK")
            if config.get("KeyARN"):
                encryption["KeyARN"] = config["KeyARN"]
        stream["DeliveryStreamEncryptionConfiguration"] = encryption

    def _stream(self, account_id: str, region: str, name: str) -> dict[str, Any]:
        stream = self.get_store(account_id, region).delivery_streams.get(name)
        if not stream:
            raise ResourceNotFoundException(f"Firehose {name} under account {account_id} not found.")
        return stream

    # --- injected faults (faults.py): failed records, as AWS reports them ----------------------------

    def put_record(
        self, context: RequestContext, delivery_stream_name: str, record: Record, **kwargs: Any
    ) -> PutRecordOutput:
        self._stream(context.account_id, context.region, delivery_stream_name)
        if FAULTS.should_fail("firehose", delivery_stream_name, "PutRecord"):
            raise ServiceUnavailableException(_UNAVAILABLE_MESSAGE)
        return super().put_record(context, delivery_stream_name, record, **kwargs)

    def put_record_batch(
        self,
        context: RequestContext,
        delivery_stream_name: str,
        records: PutRecordBatchRequestEntryList,
        **kwargs: Any,
    ) -> PutRecordBatchOutput:
        """Delivers the records no fault picked; the picked ones get a per-record error, in place."""
        self._stream(context.account_id, context.region, delivery_stream_name)
        failing = [FAULTS.should_fail("firehose", delivery_stream_name, "PutRecordBatch") for _ in records]
        accepted = [record for record, fails in zip(records, failing, strict=True) if not fails]
        responses: list[PutRecordBatchResponseEntry] = []
        if accepted:
            responses = super().put_record_batch(context, delivery_stream_name, accepted, **kwargs)["RequestResponses"]
        delivered = iter(responses)
        entries = [
            PutRecordBatchResponseEntry(ErrorCode=_UNAVAILABLE, ErrorMessage=_UNAVAILABLE_MESSAGE)
            if fails
            else next(delivered)
            for fails in failing
        ]
        # LocalStack's provider always answers FailedPutCount=0; AWS counts the failed entries.
        return PutRecordBatchOutput(
            FailedPutCount=sum(1 for entry in entries if entry.get("ErrorCode")), RequestResponses=entries
        )

    # --- delivery --------------------------------------------------------------------------------

    def _put_records(
        self, account_id: str, region_name: str, delivery_stream_name: str, unprocessed_records: list[Record]
    ) -> list[PutRecordBatchResponseEntry]:
        stream = self._stream(account_id, region_name, delivery_stream_name)
        destinations = stream.get("Destinations", [])
        s3_destination = None
        if len(destinations) == 1:
            s3_destination = destinations[0].get("ExtendedS3DestinationDescription") or destinations[0].get(
                "S3DestinationDescription"
            )
        if s3_destination is None or stream.get("DeliveryStreamType") != DeliveryStreamType.DirectPut:
            return super()._put_records(account_id, region_name, delivery_stream_name, unprocessed_records)

        now_ms = int(time.time() * 1000)
        base = next_sequence_number()
        items = []
        for index, record in enumerate(unprocessed_records):
            raw = base64.b64decode(record["Data"])  # the provider re-encoded ASF's decoded bytes
            items.append(_Item(f"{base}{index:06d}", now_ms, raw, raw))
        self._deliver(stream, s3_destination, items, region_name)
        return [PutRecordBatchResponseEntry(RecordId=item.record_id) for item in items]

    def _deliver(self, stream: dict[str, Any], dest: dict[str, Any], items: list[_Item], region: str) -> None:
        failures: list[_Failure] = []
        processing = dest.get("ProcessingConfiguration") or {}
        if processing.get("Enabled"):
            for processor in processing.get("Processors", []):
                params = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters", [])}
                if processor.get("Type") == "Lambda":
                    items, failed = self._run_lambda(stream, params, items, region)
                    failures += failed
                elif processor.get("Type") == "AppendDelimiterToRecord":
                    for item in items:
                        item.data += b"\n"
                else:
                    LOG.warning("aaas firehose: processor type %s is not supported, skipped", processor.get("Type"))

        # Firehose evaluates !{timestamp:...} with the oldest record's arrival time.
        when = datetime.fromtimestamp(min((i.arrival_ms for i in items), default=time.time() * 1000) / 1000, UTC)
        dynamic = (dest.get("DynamicPartitioningConfiguration") or {}).get("Enabled", False)
        template = dest.get("Prefix") or ""
        if not dynamic and "!{timestamp:" not in template:
            template += _DEFAULT_TIME_PREFIX  # AWS adds yyyy/MM/dd/HH/ when the prefix has no timestamp
        groups: dict[str, list[_Item]] = {}
        for item in items:
            try:
                prefix = render_prefix(template, when, item.partition_keys if dynamic else None)
            except KeyError as e:
                failures.append(
                    _Failure(
                        item,
                        "partitioning-failed",
                        "DynamicPartitioning.MetadataExtractionFailed",
                        f"Partition key {e} was not returned for the record",
                        1,
                    )
                )
                continue
            groups.setdefault(prefix, []).append(item)

        for prefix, group in groups.items():
            self._put_object(stream, dest, prefix, b"".join(i.data for i in group))
        self._write_failures(stream, dest, failures)

    def _run_lambda(
        self, stream: dict[str, Any], params: dict[str, str], items: list[_Item], region: str
    ) -> tuple[list[_Item], list[_Failure]]:
        """Invoke the processor like AWS does and match its answer by recordId."""
        if not items:
            return [], []
        arn = params["LambdaArn"]
        retries = int(params.get("NumberOfRetries", "3"))
        event = json.dumps(
            {
                "invocationId": str(uuid.uuid4()),
                "deliveryStreamArn": stream["DeliveryStreamARN"],
                "region": region,
                "records": [
                    {
                        "recordId": i.record_id,
                        "approximateArrivalTimestamp": i.arrival_ms,
                        "data": base64.b64encode(i.data).decode(),
                    }
                    for i in items
                ],
            }
        )
        # LocalStack's internal client, addressed to the function's account and region.
        _, _, _, fn_region, fn_account, *_ = arn.split(":")
        client = connect_to(aws_access_key_id=fn_account, region_name=fn_region).lambda_
        error, results, attempts = _FUNCTION_ERROR, None, 0
        while attempts <= retries and results is None:
            attempts += 1
            try:
                response = client.invoke(FunctionName=arn, Payload=event)
                payload = response["Payload"].read()
                if response.get("FunctionError"):
                    error = _FUNCTION_ERROR
                    LOG.info("aaas firehose: processor %s failed: %s", arn, payload[:1000])
                    continue
                results = {r["recordId"]: r for r in json.loads(payload)["records"]}
            except (ValueError, KeyError, TypeError) as e:
                error = ("Lambda.JsonProcessingException", f"The Lambda function returned an invalid response: {e}")
            except Exception as e:
                error = ("Lambda.InvokeError", str(e))
        if results is None:
            return [], [_Failure(i, "processing-failed", error[0], error[1], attempts, arn) for i in items]

        ok, failures = [], []
        for item in items:
            result = results.get(item.record_id)
            status = result.get("result") if result else None
            if status == "Ok":
                item.data = base64.b64decode(result.get("data") or "")
                item.partition_keys = (result.get("metadata") or {}).get("partitionKeys")
                ok.append(item)
            elif status == "Dropped":
                continue
            elif status == "ProcessingFailed":
                failures.append(
                    _Failure(
                        item,
                        "processing-failed",
                        "Lambda.ProcessingFailedStatus",
                        "ProcessingFailed status was returned by the Lambda function",
                        attempts,
                        arn,
                    )
                )
            elif result is None:
                failures.append(
                    _Failure(
                        item,
                        "processing-failed",
                        "Lambda.MissingRecordId",
                        "One or more record Ids were not returned. Ensure that the "
                        "Lambda function returns all received record Ids.",
                        attempts,
                        arn,
                    )
                )
            else:
                failures.append(
                    _Failure(
                        item,
                        "processing-failed",
                        "Lambda.InvalidRecordStatus",
                        f"Invalid record status {status!r} returned by the Lambda function",
                        attempts,
                        arn,
                    )
                )
        return ok, failures

    def _write_failures(self, stream: dict[str, Any], dest: dict[str, Any], failures: list[_Failure]) -> None:
        """AWS's error record format, one JSON document per line, one object per error type."""
        ending_ms = int(time.time() * 1000)
        template = dest.get("ErrorOutputPrefix") or f"!{{firehose:error-output-type}}/{_DEFAULT_TIME_PREFIX}"
        by_type: dict[str, list[_Failure]] = {}
        for failure in failures:
            by_type.setdefault(failure.output_type, []).append(failure)
        for output_type, group in by_type.items():
            when = datetime.fromtimestamp(min(f.item.arrival_ms for f in group) / 1000, UTC)
            lines = []
            for f in group:
                doc: dict[str, Any] = {
                    "attemptsMade": f.attempts,
                    "arrivalTimestamp": f.item.arrival_ms,
                    "errorCode": f.code,
                    "errorMessage": f.message,
                    "attemptEndingTimestamp": ending_ms,
                    "rawData": base64.b64encode(f.item.raw).decode(),
                }
                if f.lambda_arn:
                    doc["lambdaArn"] = f.lambda_arn
                lines.append(json.dumps(doc, separators=(",", ":")) + "\n")
            prefix = render_prefix(template, when, error_output_type=output_type)
            self._put_object(stream, dest, prefix, "".join(lines).encode())

    def _put_object(self, stream: dict[str, Any], dest: dict[str, Any], prefix: str, body: bytes) -> None:
        extension = ""
        compression = dest.get("CompressionFormat") or "UNCOMPRESSED"
        if compression == "GZIP":
            body, extension = gzip.compress(body), ".gz"  # AWS's default extension for GZIP
        elif compression != "UNCOMPRESSED":
            LOG.warning("aaas firehose: CompressionFormat %s not supported, writing uncompressed", compression)
        extension = dest.get("FileExtension") or extension  # FileExtension overrides the default
        now = datetime.now(UTC)
        key = (
            f"{prefix}{stream['DeliveryStreamName']}-{stream.get('VersionId', '1')}-"
            f"{now:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{extension}"
        )
        extra: dict[str, str] = {}
        kms_key = ((dest.get("EncryptionConfiguration") or {}).get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
        if kms_key:
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
        factory = (
            connect_to.with_assumed_role(role_arn=dest["RoleARN"], service_principal=ServicePrincipal.firehose)
            if dest.get("RoleARN")
            else connect_to()
        )
        s3 = factory.s3.request_metadata(
            source_arn=stream["DeliveryStreamARN"], service_principal=ServicePrincipal.firehose
        )
        s3.put_object(Bucket=s3_bucket_name(dest["BucketARN"]), Key=key, Body=body, **extra)
