"""The aaas-process Lambda executor: Python 3.13 zip functions run as local processes."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from localstack_fixture import zip_source

from local_stack import client as aws_client

pytestmark = pytest.mark.localstack

ROLE = "arn:aws:iam::000000000000:role/lambda-role"

APP = """
import json, logging, os, sys, time
import boto3

logging.getLogger().setLevel(logging.INFO)

def handler(event, context):
    print(f"printed marker {event.get('marker')}")
    logging.info("logged marker %s", event.get("marker"))
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("raise"):
        raise ValueError("boom")
    try:
        import localstack  # LocalStack's venv must stay invisible
        localstack_visible = True
    except ImportError:
        localstack_visible = False
    return {
        "echo": event.get("marker"),
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "python": sys.version.split()[0],
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "handler": os.environ["_HANDLER"],
        "custom": os.environ.get("CUSTOM_SETTING"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "queues": len(boto3.client("sqs").list_queues().get("QueueUrls", [])) >= 0,
        "localstack_visible": localstack_visible,
        "sys_path0": sys.path[0],
    }
"""


def _create(
    name: str,
    files: dict[str, str],
    *,
    handler: str = "app.handler",
    runtime: str = "python3.13",
    timeout: int = 3,
    wait: bool = True,
) -> None:
    lam = aws_client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Timeout=timeout,
        Code={"ZipFile": zip_source(files)},
        Environment={"Variables": {"CUSTOM_SETTING": "from-config"}},
    )
    if wait:
        lam.get_waiter("function_active_v2").wait(FunctionName=name)


def _invoke(name: str, event: dict) -> tuple[dict, str | None, str]:
    response = aws_client("lambda").invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    logs = base64.b64decode(response.get("LogResult", "")).decode()
    return json.loads(response["Payload"].read()), response.get("FunctionError"), logs


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_python_function_is_active_returns_result_and_logs_reach_cloudwatch(localstack: str) -> None:
    name = _name("echo")
    _create(name, {"app.py": APP})
    config = aws_client("lambda").get_function_configuration(FunctionName=name)
    assert config["State"] == "Active"

    marker = uuid.uuid4().hex
    result, error, tail = _invoke(name, {"marker": marker})

    assert error is None, result
    assert result["echo"] == marker
    assert result["function_name"] == name
    assert result["arn"].endswith(f":function:{name}")
    assert result["python"].startswith("3.13")
    assert result["handler"] == "app.handler"
    assert result["custom"] == "from-config"
    assert result["endpoint"] == "http://127.0.0.1:4566"
    assert result["queues"] is True  # boto3 inside the function reached LocalStack
    assert result["localstack_visible"] is False
    assert result["sys_path0"] == result["task_root"]
    assert 0 < result["remaining_ms"] <= 3000
    assert f"printed marker {marker}" in tail
    assert f"START RequestId: {result['request_id']}" in tail

    logs = aws_client("logs")
    deadline = time.time() + 20
    messages: list[str] = []
    while time.time() < deadline:
        events = (
            logs.filter_log_events(logGroupName=f"/aws/lambda/{name}").get("events", [])
            if logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
            else []
        )
        messages = [e["message"] for e in events]
        if any(f"logged marker {marker}" in m for m in messages):
            break
        time.sleep(0.5)
    assert any(f"printed marker {marker}" in m for m in messages), messages
    assert any(f"logged marker {marker}" in m and "[INFO]" in m for m in messages), messages
    assert any(m.startswith(f"REPORT RequestId: {result['request_id']}") for m in messages), messages


def test_unhandled_error_is_reported_like_aws(localstack: str) -> None:
    name = _name("raise")
    _create(name, {"app.py": APP})
    result, error, tail = _invoke(name, {"raise": True})
    assert error == "Unhandled"
    assert result["errorType"] == "ValueError"
    assert result["errorMessage"] == "boom"
    assert any("raise ValueError" in line for line in result["stackTrace"])
    assert "[ERROR] ValueError: boom" in tail


def test_timeout_kills_the_invocation_and_the_next_invoke_works(localstack: str) -> None:
    name = _name("slow")
    _create(name, {"app.py": APP}, timeout=1)

    started = time.monotonic()
    result, error, tail = _invoke(name, {"sleep": 10})
    elapsed = time.monotonic() - started

    assert error == "Unhandled"
    assert result["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result["errorMessage"]
    assert "Task timed out after 1.00 seconds" in tail
    assert elapsed < 8, f"the timeout was not enforced ({elapsed:.1f}s)"

    result, error, _ = _invoke(name, {"marker": "after-timeout"})
    assert error is None, result
    assert result["echo"] == "after-timeout"


def test_missing_handler_module_is_an_import_module_error(localstack: str) -> None:
    name = _name("badmod")
    _create(name, {"app.py": APP}, handler="missing_module.handler")
    result, error, _ = _invoke(name, {})
    assert error == "Unhandled"
    assert result["errorType"] == "Runtime.ImportModuleError"
    assert result["errorMessage"].startswith("Unable to import module 'missing_module'")


def test_non_python_runtime_ends_up_failed(localstack: str) -> None:
    name = _name("node")
    _create(
        name,
        {"index.js": "exports.handler = async () => 1;"},
        handler="index.handler",
        runtime="nodejs20.x",
        wait=False,
    )
    lam = aws_client("lambda")
    deadline = time.time() + 20
    state = ""
    while time.time() < deadline:
        config = lam.get_function_configuration(FunctionName=name)
        state = config["State"]
        if state != "Pending":
            break
        time.sleep(0.3)
    assert state == "Failed"
    assert "nodejs20.x" in config.get("StateReason", "")
