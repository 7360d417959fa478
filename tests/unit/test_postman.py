"""The Postman collection stays in step with docs/openapi.yaml and covers every operation with tests."""

from __future__ import annotations

import json
from typing import Any

import postman
from support import ROOT


def requests(items: list[dict[str, Any]], folder: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for item in items:
        if "item" in item:
            found += requests(item["item"], item["name"])
        else:
            found.append((folder, item))
    return found


def operation_of(item: dict[str, Any]) -> tuple[str, str]:
    path = "/" + "/".join(
        "{" + segment[1:] + "}" if segment.startswith(":") else segment for segment in item["request"]["url"]["path"]
    )
    return item["request"]["method"].lower(), path


def test_the_committed_collection_is_what_the_openapi_document_builds() -> None:
    committed = json.loads(postman.COLLECTION.read_text())
    assert committed == postman.build(), "run: .venv/bin/python scripts/postman.py build"


def test_every_openapi_operation_has_requests_and_every_request_is_an_operation() -> None:
    collection = postman.build()
    covered = {operation_of(item) for _, item in requests(collection["item"])}
    in_openapi = {(method, path) for method, path, _ in postman.load_operations().values()}
    assert covered == in_openapi, f"without a request: {in_openapi - covered}; unknown: {covered - in_openapi}"
    exports = {operation_of(item) for folder, item in requests(collection["item"]) if folder == "Exports"}
    assert exports == {("post", "/v1/exports"), ("get", "/v1/exports/{exportid}")}


def test_every_request_tests_status_and_body() -> None:
    for _, item in requests(postman.build()["item"]):
        [tests] = [event["script"]["exec"] for event in item["event"] if event["listen"] == "test"]
        text = "\n".join(tests)
        assert "to.have.status(" in text or "expectError(" in text, item["name"]
        assert "pm.response.json()" in text or "pm.response.text()" in text, item["name"]


def test_error_cases_the_issue_names_are_there() -> None:
    statuses = {item["name"].rsplit(": ", 1)[-1].split()[0] for _, item in requests(postman.build()["item"])}
    assert {"400", "403", "404", "409", "413", "415"} <= statuses


def test_newman_is_pinned_by_package_json_and_the_lock() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert package["devDependencies"]["newman"] == lock["packages"]["node_modules/newman"]["version"] == "6.2.2"
