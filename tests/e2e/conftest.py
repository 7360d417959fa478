"""The applied stack: LocalStack (session fixture), `make package`, then tflocal apply of terraform/."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localstack_fixture import localstack  # noqa: F401 - the session fixture

import local_stack
from aaas.config import localstack_url, terraform_outputs
from package import host_architecture
from support import ROOT


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked restarts_localstack kill LocalStack, which loses its state, and apply the stack again:
    they run after every other end-to-end test, so none of those sees a half-restarted stack."""
    restarting = [item for item in items if item.get_closest_marker("restarts_localstack")]
    if not restarting:
        return
    others = [item for item in items if item not in restarting]
    e2e = Path(__file__).parent
    last_e2e = max((n for n, item in enumerate(others) if e2e in item.path.parents), default=len(others) - 1)
    items[:] = others[: last_e2e + 1] + restarting + others[last_e2e + 1 :]


@pytest.fixture(scope="session")
def stack(localstack: str) -> Iterator[dict[str, Any]]:  # noqa: F811 - the imported fixture
    """Terraform outputs of the stack applied to LocalStack (applied once per session)."""
    # The local executor runs the functions on this machine: zips with this machine's native wheels.
    architecture = ["--architecture", host_architecture()]
    subprocess.run([sys.executable, str(ROOT / "scripts" / "package.py"), *architecture], check=True, timeout=600)
    started = time.monotonic()
    subprocess.run([str(ROOT / "scripts" / "local-apply.sh"), "apply"], check=True, timeout=1200)
    print(f"\ntflocal apply took {time.monotonic() - started:.0f} s", file=sys.stderr)
    yield terraform_outputs(ROOT / "terraform")


@pytest.fixture(scope="session")
def endpoint(stack: dict[str, Any]) -> str:
    """The API's URL through LocalStack's edge."""
    return localstack_url(stack["api_invoke_url"], local_stack.ENDPOINT)


@pytest.fixture(scope="session")
def api_keys(stack: dict[str, Any]) -> dict[str, str]:
    """Client system name -> API key value."""
    return stack["api_keys"]


@pytest.fixture(scope="session")
def alerts_queue(stack: dict[str, Any]) -> str:
    """An SQS queue subscribed to the alert topic, as a subscriber would observe alerts."""
    return local_stack.subscribe_queue(stack["alerts_topic_arn"], "e2e-alert-observer")
