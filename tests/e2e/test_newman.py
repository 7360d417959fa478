"""newman runs the Postman collection against the applied stack: every request passes (make postman)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import ROOT

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]


def test_newman_runs_the_collection_with_no_failures(stack: dict[str, Any], tmp_path: Path) -> None:
    report = tmp_path / "newman.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "postman.py"), "run", "--report", str(report)],
        capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    run = json.loads(report.read_text())["run"]
    failures = [f"{item['source']['name']}: {item['error']['message']}" for item in run["failures"]]
    assert failures == [], result.stdout[-4000:]
    stats = run["stats"]
    print(f"\nnewman: {stats['requests']['total']} requests, {stats['assertions']['total']} assertions, 0 failed")
    assert stats["requests"]["failed"] == stats["assertions"]["failed"] == 0
    assert stats["assertions"]["total"] >= 80
    assert result.returncode == 0
