"""Each function's IAM actions (terraform/functions.tf) are exactly the AWS calls its code makes.

The calls are found in the source with ``ast``: every ``<client>.<operation>(`` and
``get_paginator("<operation>")`` of a known boto3 operation in functions/<name>/, and in the
audit_shared definitions that code reaches (followed name by name through imports, so a shared
module's functions that this function never uses do not count). The statements are read from ``local.function_policy_statements`` in functions.tf.
A granted action no call needs fails the test (unused), and so does a call without its action
(missing). The function module's own statements (logs, X-Ray, the on-failure queue, kms:Decrypt of
the environment) are not in functions.tf and not checked here.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
FUNCTIONS_TF = ROOT / "terraform" / "functions.tf"
SHARED = "audit_shared"

# boto3 operation (snake case) -> IAM action. Only operations of the services the functions use.
OPERATIONS = {
    "batch_get_item": "dynamodb:BatchGetItem",
    "batch_write_item": "dynamodb:BatchWriteItem",
    "delete_item": "dynamodb:DeleteItem",
    "get_item": "dynamodb:GetItem",
    "put_item": "dynamodb:PutItem",
    "query": "dynamodb:Query",
    "scan": "dynamodb:Scan",
    "update_item": "dynamodb:UpdateItem",
    "put_record_batch": "firehose:PutRecordBatch",
    "generate_mac": "kms:GenerateMac",
    "sign": "kms:Sign",
    "get_object": "s3:GetObject",
    "list_object_versions": "s3:ListBucketVersions",  # the IAM name differs from the API name
    "put_object": "s3:PutObject",
    # Multipart uploads are authorized as s3:PutObject; aborting one has its own action.
    "create_multipart_upload": "s3:PutObject",
    "upload_part": "s3:PutObject",
    "complete_multipart_upload": "s3:PutObject",
    "abort_multipart_upload": "s3:AbortMultipartUpload",
    "list_objects_v2": "s3:ListBucket",  # the IAM name differs from the API name
    # A pre-signed GET is the role's own s3:GetObject, used by whoever holds the URL.
    "generate_presigned_url": "s3:GetObject",
    "invoke": "lambda:InvokeFunction",
    "publish": "sns:Publish",
}
# Calls on encrypted resources (SSE-KMS objects, the KMS-encrypted table and topic) use the data key
# through the service: reads need kms:Decrypt, writes kms:GenerateDataKey.
ENCRYPTED_READS = {"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "s3:GetObject"}
ENCRYPTED_WRITES = {
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "s3:PutObject",
    "sns:Publish",
}

_SHARED_MODULE = re.compile(r"^audit_shared(?:\.(\w+))?$")


def _function_names() -> list[str]:
    return sorted(path.name for path in FUNCTIONS.iterdir() if (path / "handler.py").is_file() and path.name != SHARED)


@cache
def _module(path: Path) -> tuple[dict[str, ast.AST], dict[str, tuple[str, str | None]]]:
    """Top-level definitions of a module, and its imports from audit_shared.

    Imports map a local name to (shared module, name in it), or (shared module, None) for a module.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    definitions: dict[str, ast.AST] = {}
    imports: dict[str, tuple[str, str | None]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            definitions[node.name] = node
        elif isinstance(node, ast.ImportFrom) and node.module and (match := _SHARED_MODULE.match(node.module)):
            for alias in node.names:
                local = alias.asname or alias.name
                imports[local] = (match.group(1), alias.name) if match.group(1) else (alias.name, None)
    return definitions, imports


def _calls(node: ast.AST) -> tuple[set[str], bool, set[str], set[tuple[str, str]]]:
    """(boto3 operations, whether it reads object versions, local names, (module alias, attribute))."""
    operations: set[str] = set()
    versions = False
    names: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
            if child.func.attr in OPERATIONS:
                operations.add(child.func.attr)
            elif child.func.attr == "get_paginator" and child.args and isinstance(child.args[0], ast.Constant):
                operations.add(child.args[0].value)
        if isinstance(child, ast.Constant) and child.value == "VersionId":
            versions = True
        if isinstance(child, ast.Name):
            names.add(child.id)
        if isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            attributes.add((child.value.id, child.attr))
    return {op for op in operations if op in OPERATIONS}, versions, names, attributes


def _reachable_operations(function: str) -> tuple[set[str], bool]:
    """Operations called by the function's own modules (all their code) and by the audit_shared
    definitions they reach, following names through modules (not every def of a shared module)."""
    operations: set[str] = set()
    versions = False
    pending: list[tuple[Path, ast.AST]] = [
        (path, ast.parse(path.read_text())) for path in sorted((FUNCTIONS / function).glob("*.py"))
    ]
    seen: set[tuple[Path, str]] = set()
    while pending:
        path, node = pending.pop()
        found, reads_versions, names, attributes = _calls(node)
        operations |= found
        versions |= reads_versions
        definitions, imports = _module(path)
        targets: list[tuple[Path, str]] = [(path, name) for name in names if name in definitions]
        for name in names:
            if name in imports and imports[name][1] is not None:
                module, imported = imports[name]
                targets.append((FUNCTIONS / SHARED / f"{module}.py", imported))
        for alias, attribute in attributes:
            if alias in imports and imports[alias][1] is None:
                targets.append((FUNCTIONS / SHARED / f"{imports[alias][0]}.py", attribute))
        for target_path, name in targets:
            if (target_path, name) in seen or not target_path.is_file():
                continue
            seen.add((target_path, name))
            target = _module(target_path)[0].get(name)
            if target is not None:
                pending.append((target_path, target))
    return operations, versions


def used_actions(function: str) -> set[str]:
    operations, versions = _reachable_operations(function)
    actions = {OPERATIONS[op] for op in operations}
    if versions and "s3:GetObject" in actions:
        actions.add("s3:GetObjectVersion")
    if actions & ENCRYPTED_READS:
        actions.add("kms:Decrypt")
    if actions & ENCRYPTED_WRITES:
        actions.add("kms:GenerateDataKey")
    return actions


@cache
def granted_actions() -> dict[str, set[str]]:
    """function -> every action of its statements in local.function_policy_statements."""
    text = FUNCTIONS_TF.read_text()
    shared = {}
    for name, body in re.findall(r"^  (\w+) = \{\n(.*?)^  \}\n", text, re.MULTILINE | re.DOTALL):
        shared[name] = set(_actions(body))
    block = text[text.index("  function_policy_statements = {") :]
    block = block[: block.index("\n  }\n")]
    granted: dict[str, set[str]] = {}
    for name, body in re.findall(r"^    (\w+) = \[\n(.*?)^    \]", block, re.MULTILINE | re.DOTALL):
        granted[name] = set(_actions(body))
        for local_name in re.findall(r"local\.(\w+)", body):
            granted[name] |= shared.get(local_name, set())
    # One-line lists: [] or [local.a, local.b].
    for name, body in re.findall(r"^    (\w+) = \[([^\n]*)\]$", block, re.MULTILINE):
        granted[name] = set().union(
            *(shared.get(local_name, set()) for local_name in re.findall(r"local\.(\w+)", body))
        )
    return granted


def _actions(body: str) -> list[str]:
    return [
        action
        for group in re.findall(r"actions\s*=\s*\[([^\]]*)\]", body)
        for action in re.findall(r"\"([a-z0-9-]+:\w+)\"", group)
    ]


def test_every_function_has_statements_in_functions_tf() -> None:
    assert sorted(granted_actions()) == _function_names()


@pytest.mark.parametrize("function", _function_names())
def test_policy_actions_are_exactly_the_calls_the_code_makes(function: str) -> None:
    used = used_actions(function)
    granted = granted_actions()[function]
    assert not granted - used, f"{function}: granted but never called (unused): {sorted(granted - used)}"
    assert not used - granted, f"{function}: called but not granted (missing): {sorted(used - granted)}"


def test_the_scanner_sees_calls_through_shared_modules() -> None:
    # The digest reads archived objects through audit_shared.archive_objects and writes the ledger
    # through audit_shared.ledger: calls outside functions/digest/ count for it.
    assert {"s3:GetObject", "s3:GetObjectVersion", "dynamodb:Scan", "kms:Sign"} <= used_actions("digest")
    assert "s3:ListBucketVersions" in used_actions("query")
    # The export signs through audit_shared.signing and reads with a paginator.
    assert {"kms:Sign", "s3:ListBucket", "lambda:InvokeFunction", "s3:AbortMultipartUpload"} <= used_actions("export")
