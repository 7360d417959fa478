"""docs/openapi.yaml is the API's contract: valid OpenAPI 3, and exactly the routes the functions serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from support import ROOT

DOCUMENT = ROOT / "docs" / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
EVENT_SCHEMA_REF = "../functions/audit_shared/schemas/audit-event.v1.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def served_routes(function: str) -> set[tuple[str, str]]:
    """(METHOD, path) of every route the function's Powertools resolver declares."""
    module = __import__(f"{function}.handler", fromlist=["app"])
    # The resolver's route tables are what Powertools' own OpenAPI generation reads.
    routes = module.app._static_routes + module.app._dynamic_routes
    return {(route.method, route.openapi_path) for route in routes}


def test_document_is_valid_openapi_3_with_its_external_event_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its jsonschema-rs backend needs a newer jsonschema-rs than the one the Lambda zips pin.
    monkeypatch.setenv("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
    spec, base_uri = read_from_filename(str(DOCUMENT))
    validate(spec, base_uri=Path(base_uri).as_uri() if "://" not in base_uri else base_uri)


def test_every_served_route_is_documented_and_every_documented_route_is_served(document: dict[str, Any]) -> None:
    documented = operations(document)
    functions = {operation["x-aaas-function"] for operation in documented.values()}
    assert functions == {"export", "ingestion", "query"}
    served = {(route, function) for function in functions for route in served_routes(function)}
    assert served == {(route, operation["x-aaas-function"]) for route, operation in documented.items()}


def test_every_operation_needs_the_api_key_and_documents_its_refusals(document: dict[str, Any]) -> None:
    assert document["security"] == [{"api_key": []}]
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
    }
    for route, operation in operations(document).items():
        assert "security" not in operation, route  # nothing opts out of the key
        assert {"400", "403", "429"} <= set(operation["responses"]), route
        assert operation["operationId"], route


def test_event_bodies_are_the_event_json_schema(document: dict[str, Any]) -> None:
    single = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    batch = document["paths"]["/v1/events/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert single == {"$ref": EVENT_SCHEMA_REF}
    assert batch["properties"]["events"]["items"] == {"$ref": EVENT_SCHEMA_REF}
    assert (DOCUMENT.parent / EVENT_SCHEMA_REF).resolve().is_file()


def test_search_parameters_are_the_ones_the_query_function_accepts(document: dict[str, Any]) -> None:
    from query.params import GET_PARAMETERS, SEARCH_PARAMETERS

    def names(operation: dict[str, Any]) -> set[str]:
        parameters = document["components"]["parameters"]
        resolved = [parameters[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in operation["parameters"]]
        return {p["name"] for p in resolved if p["in"] == "query"}

    assert names(document["paths"]["/v1/events"]["get"]) == SEARCH_PARAMETERS
    assert names(document["paths"]["/v1/events/{eventid}"]["get"]) == GET_PARAMETERS


def test_export_body_fields_are_the_ones_the_export_function_accepts(document: dict[str, Any]) -> None:
    from export.service import BODY_FIELDS

    schema = document["components"]["schemas"]["ExportRequest"]
    assert set(schema["properties"]) == BODY_FIELDS
    assert schema["properties"]["format"]["enum"] == ["ndjson", "csv"]
