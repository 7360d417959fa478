"""local-up.sh / local-down.sh: idempotent start, and no process left behind, even when
LocalStack itself is killed with SIGKILL while Lambda environments are running."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from localstack_fixture import PIDFILE, ROOT, external, local_down, local_up, python_function, running_pid

from local_stack import client as aws_client

pytestmark = [
    pytest.mark.localstack,
    pytest.mark.skipif(external(), reason="LOCALSTACK_EXTERNAL=1: the LocalStack is not ours to stop"),
]


def _tree(pid: int) -> set[int]:
    """pid and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    return tree


def _is_lambda_child(pid: int) -> bool:
    try:
        return b"aaas_localstack_ext/bootstrap.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":  # zombies are already dead, only not yet reaped
            alive.add(pid)
    return alive


def _warm_lambda_environment() -> None:
    name = python_function("warm", "def handler(event, context):\n    return 42\n")
    assert json.loads(aws_client("lambda").invoke(FunctionName=name)["Payload"].read()) == 42


def _wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.time() + seconds
    while _alive(pids) and time.time() < deadline:
        time.sleep(0.2)
    return _alive(pids)


def test_local_up_is_idempotent(localstack: str) -> None:
    pid = running_pid()
    result = subprocess.run(
        [str(ROOT / "scripts" / "local-up.sh")], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stderr
    assert running_pid() == pid


def test_no_process_survives_local_down_or_a_killed_localstack(localstack: str) -> None:
    if running_pid() is None:
        pytest.skip("LocalStack was not started by local-up.sh")
    try:
        # 1. LocalStack killed hard: its Lambda children must exit on their own (no orphans).
        _warm_lambda_environment()
        pid = running_pid()
        assert pid is not None
        tree = _tree(pid)
        assert any(_is_lambda_child(p) for p in tree), "no Lambda environment process found"
        os.kill(pid, signal.SIGKILL)
        assert not _wait_gone(tree, 10), "processes outlived a SIGKILLed LocalStack"
        local_down()  # notices the dead pid and cleans the pid file
        assert not PIDFILE.exists()

        # 2. Regular stop: local-down stops LocalStack and every child.
        local_up()
        _warm_lambda_environment()
        pid = running_pid()
        assert pid is not None
        tree = _tree(pid)
        assert any(_is_lambda_child(p) for p in tree)
        local_down()
        assert not _alive(tree), f"left behind: {_alive(tree)}"
        assert not PIDFILE.exists()
        assert running_pid() is None
    finally:
        local_up()  # leave the session's LocalStack running for the other tests
