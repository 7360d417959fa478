"""``dynamodb:aaas_moto``: DynamoDB served entirely by moto (shipped with LocalStack as moto-ext).

LocalStack's default DynamoDB provider forwards to DynamoDB Local, a Java server it downloads at
first use; that download is impossible offline. moto implements everything the Terraform AWS
provider calls for our table (GSIs, TTL, PITR, SSE with a CMK, tags, deletion protection).

Known difference: moto stores the TTL setting but never deletes expired items.

The write operations also honour the ``dynamodb`` fault of faults.py (throttling, as DynamoDB
reports it); with no fault configured they go straight to moto.
"""

from typing import Any

from localstack.aws.api import RequestContext
from localstack.aws.api.dynamodb import (
    BatchWriteItemOutput,
    DynamodbApi,
    ProvisionedThroughputExceededException,
)
from localstack.services.moto import call_moto_with_request

from aaas_localstack_ext.faults import FAULTS

# DynamoDB's own message for a throttled request.
THROTTLED_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)


def _throttle_single(context: RequestContext) -> None:
    """Raise for a throttled PutItem/UpdateItem/DeleteItem; otherwise let moto serve it."""
    table = context.service_request.get("TableName") or ""
    if FAULTS.should_fail("dynamodb", table, context.operation.name):
        raise ProvisionedThroughputExceededException(THROTTLED_MESSAGE)
    raise NotImplementedError  # MotoFallbackDispatcher: moto serves the request


class MotoDynamoDBProvider(DynamodbApi):
    """Every operation that raises NotImplementedError here (all of them, unless a fault applies)
    is turned into a call to moto by MotoFallbackDispatcher (see plugins.py)."""

    def put_item(self, context: RequestContext, *args: Any, **kwargs: Any) -> Any:
        _throttle_single(context)

    def update_item(self, context: RequestContext, *args: Any, **kwargs: Any) -> Any:
        _throttle_single(context)

    def delete_item(self, context: RequestContext, *args: Any, **kwargs: Any) -> Any:
        _throttle_single(context)

    def batch_write_item(self, context: RequestContext, *args: Any, **kwargs: Any) -> BatchWriteItemOutput:
        """Requests a fault picks come back as UnprocessedItems, unwritten; moto writes the rest."""
        request = context.service_request
        written: dict[str, list[Any]] = {}
        unprocessed: dict[str, list[Any]] = {}
        for table, requests in request["RequestItems"].items():
            for write in requests:
                throttled = FAULTS.should_fail("dynamodb", table, "BatchWriteItem")
                (unprocessed if throttled else written).setdefault(table, []).append(write)
        if not unprocessed:
            raise NotImplementedError  # nothing throttled: moto serves the request as sent
        if not written:  # DynamoDB throttles the whole call when it can process none of the items
            raise ProvisionedThroughputExceededException(THROTTLED_MESSAGE)
        result: BatchWriteItemOutput = call_moto_with_request(context, {**request, "RequestItems": written})
        merged = result.get("UnprocessedItems") or {}
        for table, requests in unprocessed.items():
            merged.setdefault(table, []).extend(requests)
        result["UnprocessedItems"] = merged
        return result
