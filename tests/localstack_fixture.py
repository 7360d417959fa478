"""A session-wide LocalStack for tests that need one (marker ``localstack``); reusable by e2e tests.

Use it from a conftest.py::

    from localstack_fixture import localstack  # noqa: F401  (the fixture)

The fixture runs scripts/local-up.sh and, at the end of the session, scripts/local-down.sh, except
when it did not start LocalStack itself: with LOCALSTACK_EXTERNAL=1 (a LocalStack you run, e.g.
in Docker, at $LOCALSTACK_ENDPOINT) or when local-up.sh had already started one (it is reused
and left running).
"""

from __future__ import annotations

import io
import os
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_stack import ENDPOINT

ROOT = Path(__file__).resolve().parent.parent
PIDFILE = ROOT / ".local" / "localstack.pid"


def external() -> bool:
    return os.environ.get("LOCALSTACK_EXTERNAL") == "1"


def running_pid() -> int | None:
    """The pid of the LocalStack started by local-up.sh, if it is alive."""
    try:
        pid = int(PIDFILE.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"localstack.runtime.main" in cmdline else None


def local_up() -> None:
    subprocess.run([str(ROOT / "scripts" / "local-up.sh")], check=True, timeout=900)


def local_down() -> None:
    subprocess.run([str(ROOT / "scripts" / "local-down.sh")], check=True, timeout=120)


def zip_source(files: dict[str, str]) -> bytes:
    """A Lambda deployment package holding the given files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def python_function(name_prefix: str, source: str, **settings: Any) -> str:
    """Create an app.handler Python 3.13 function from source, wait until it is Active; returns its name."""
    from local_stack import client

    lam, name = client("lambda"), f"{name_prefix}-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role="arn:aws:iam::000000000000:role/test-function",
        Handler="app.handler",
        Code={"ZipFile": zip_source({"app.py": source})},
        **settings,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


@pytest.fixture(scope="session")
def localstack() -> Iterator[str]:
    """Yields the endpoint URL of a healthy LocalStack with the aaas extension."""
    started_here = not external() and running_pid() is None
    local_up()
    yield ENDPOINT
    if started_here and running_pid() is not None:
        local_down()
