"""Schemathesis against the applied local API: every operation of docs/openapi.yaml, 0 failures."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support import ROOT

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

EVENT_SCHEMA = Path("functions/audit_shared/schemas/audit-event.v1.json")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
MIN_CASES = 500


def generation_copy(directory: Path) -> Path:
    """docs/openapi.yaml and the event schema it references, laid out as in the repository.

    The event schema's eight conditional `allOf` branches (fields that one event category
    requires) are left out of this copy: schemathesis' generator cannot canonicalize them
    together. Generated events still break them at times, and the function refuses those with a
    documented 400, so nothing the API answers escapes the checks.
    """
    shutil.copytree(ROOT / "docs", directory / "docs")
    schema = json.loads((ROOT / EVENT_SCHEMA).read_text(encoding="utf-8"))
    unconditional = copy.deepcopy(schema)
    unconditional.pop("allOf")
    (directory / EVENT_SCHEMA).parent.mkdir(parents=True)
    (directory / EVENT_SCHEMA).write_text(json.dumps(unconditional), encoding="utf-8")
    return directory / "docs" / "openapi.yaml"


def schemathesis() -> Path:
    """The `st` command from its own venv (.venv-contract, requirements/contract.lock.txt)."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "tool-venv.sh"), "contract", "requirements/contract.lock.txt"],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    return Path(result.stdout.strip()) / "st"


def test_schemathesis_finds_no_failure_in_any_operation(stack: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.json"
    result = subprocess.run(
        [
            str(schemathesis()), "run", str(generation_copy(tmp_path / "contract")),
            "--url", stack["api_local_url"],
            "--header", f"x-api-key: {stack['api_keys']['crm']}",
            "--checks", CHECKS,
            "--max-examples", "40", "--seed", "20261129", "--workers", "2",
            "--generation-database", "none", "--no-color",
            "--report", "json", "--report-json-path", str(report),
        ],
        capture_output=True, text=True, timeout=1200, check=False, cwd=tmp_path,
    )  # fmt: skip
    summary = json.loads(report.read_text())
    print(f"\nschemathesis: {summary['test_cases']['generated']} cases in {summary['running_time']:.0f} s")
    assert result.returncode == 0, result.stdout[-6000:]
    assert summary["operations"]["tested"] == 7  # every operation of docs/openapi.yaml
    assert summary["test_cases"]["generated"] >= MIN_CASES
    assert summary["failures"] == [] and summary["errors"] == []
