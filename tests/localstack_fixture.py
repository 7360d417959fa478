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
import zipfile
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture(scope="session")
def localstack() -> Iterator[str]:
    """Yields the endpoint URL of a healthy LocalStack with the aaas extension."""
    started_here = not external() and running_pid() is None
    local_up()
    yield ENDPOINT
    if started_here and running_pid() is not None:
        local_down()
