"""Helpers shared by the test modules: paths, JSON fixtures and a fake Lambda context."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = ROOT / "examples" / "events"


def load_fixture(name: str) -> Any:
    return copy.deepcopy(json.loads((FIXTURES / name).read_text(encoding="utf-8")))


def example_events() -> dict[str, dict[str, Any]]:
    """Every shipped example event, by event type."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(EXAMPLES.glob("*.json"))}


@dataclass
class FakeLambdaContext:
    function_name: str = "audit-test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:audit-test-function"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"
    log_group_name: str = "/aws/lambda/audit-test-function"
    log_stream_name: str = "2026/11/28/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def create_index_table(client: Any, name: str) -> None:
    """The index table exactly as docs/design.md and the Terraform index module define it."""
    from audit_shared.index import GSI_HASH_KEYS, KEY_ATTRIBUTE, SORT_ATTRIBUTE

    attributes = {KEY_ATTRIBUTE: "S", SORT_ATTRIBUTE: "S", **dict.fromkeys(GSI_HASH_KEYS.values(), "S")}
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": attr, "AttributeType": kind} for attr, kind in attributes.items()],
        KeySchema=[{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": hash_key, "KeyType": "HASH"},
                    {"AttributeName": SORT_ATTRIBUTE, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, hash_key in GSI_HASH_KEYS.items()
        ],
    )


def create_ledger_table(client: Any, name: str) -> None:
    """The digest ledger table as docs/design.md defines it: hash key pk, sparse KEYS_ONLY GSI 'pending'."""
    from audit_shared.ledger import KEY, PENDING_ATTRIBUTE, PENDING_INDEX

    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": KEY, "AttributeType": "S"},
            {"AttributeName": PENDING_ATTRIBUTE, "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": PENDING_INDEX,
                "KeySchema": [{"AttributeName": PENDING_ATTRIBUTE, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )


# API key id -> access, as the unit tests' API Gateway fixtures use them (tests/fixtures/apigw_*.json).
TEST_CLIENTS = {
    "k1crmweb01": {
        "client": "crm",
        "scopes": ["write", "read"],
        "write": ["CRM_WEB", "CRM_MBL"],
        "read": ["CRM_WEB"],
    },
    "k2erpweb02": {"client": "erp", "scopes": ["write"], "write": ["ERP_WEB"], "read": ["ERP_WEB"]},
    "k3auditor3": {"client": "auditor", "scopes": ["read"], "write": [], "read": ["CRM_WEB", "CRM_MBL", "ERP_WEB"]},
    "k4erpread4": {"client": "erp-reader", "scopes": ["read"], "write": [], "read": ["ERP_WEB"]},
}


# The record key the unit tests' transformation uses (production derives it from KMS at cold start).
RECORD_KEY = bytes(range(32))
