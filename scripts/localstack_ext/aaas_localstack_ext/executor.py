"""``aaas-process``: a LocalStack Lambda runtime executor running each execution environment as a
local Python process instead of a Docker container.

LocalStack's Docker executor gets timeouts, init errors and cleanup from its container runtime;
here the executor does them itself: it kills and respawns a process that exceeds the function
timeout, and it ties each child's life to LocalStack's (see bootstrap.py).
"""

import contextlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from localstack import config
from localstack.aws.api.lambda_ import PackageType
from localstack.services.lambda_.invocation.executor_endpoint import (
    ExecutorEndpoint,
    ShutdownDuringStartup,
    executor_router,
)
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

from aaas_localstack_ext import EXECUTOR_NAME
from aaas_localstack_ext.faults import FAULTS

LOG = logging.getLogger(__name__)

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Invoke payload key that makes bootstrap.py raise instead of calling the handler (an injected fault).
INJECTED_FAULT_KEY = "aaas-injected-fault"
# What the AWS Python runtime provides besides the standard library (distribution names).
RUNTIME_DISTRIBUTIONS = ["boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six"]
STATE_DIR = Path(tempfile.gettempdir()) / f"aaas-lambda-{os.getpid()}"


class _Spawner:
    """Starts every child from one long-lived thread.

    PR_SET_PDEATHSIG (set by the child) fires when the *thread* that forked it exits. LocalStack
    starts environments from short-lived worker threads, so forking there would kill healthy
    children when the worker retires."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[dict[str, Any], Future[subprocess.Popen]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def popen(self, **kwargs: Any) -> subprocess.Popen:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="aaas-spawner", daemon=True)
                self._thread.start()
        future: Future[subprocess.Popen] = Future()
        self._jobs.put((kwargs, future))
        return future.result()

    def _run(self) -> None:
        while True:
            kwargs, future = self._jobs.get()
            try:
                future.set_result(subprocess.Popen(**kwargs))
            except BaseException as e:
                future.set_exception(e)


SPAWNER = _Spawner()
_RUNTIME_DIR_LOCK = threading.Lock()


def runtime_site_dir() -> Path:
    """A directory holding only boto3 and its dependencies (symlinks into LocalStack's venv, so the
    versions are the locked ones). Functions see it instead of LocalStack's site-packages."""
    target = STATE_DIR / "runtime"
    with _RUNTIME_DIR_LOCK:
        if target.is_dir():
            return target
        staging = Path(tempfile.mkdtemp(dir=STATE_DIR.parent, prefix="aaas-runtime-"))
        for name in RUNTIME_DISTRIBUTIONS:
            dist = importlib.metadata.distribution(name)
            top_level = (dist.read_text("top_level.txt") or "").split() or [name.replace("-", "_")]
            for module in top_level:
                spec = importlib.util.find_spec(module)
                if spec is None or spec.origin is None:
                    continue
                origin = Path(spec.origin)
                source = origin.parent if origin.name == "__init__.py" else origin
                (staging / source.name).symlink_to(source)
            # dist-info too, so importlib.metadata.version("boto3") works inside functions
            dist_path = Path(str(dist._path))  # type: ignore[attr-defined]
            (staging / dist_path.name).symlink_to(dist_path)
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        return target


def _is_python(runtime: str | None) -> bool:
    return bool(runtime) and runtime.startswith("python")


class ProcessRuntimeExecutor(RuntimeExecutor):
    """One instance per execution environment; one child process at a time."""

    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.endpoint = ExecutorEndpoint(id, container_address="127.0.0.1")
        self.process: subprocess.Popen | None = None
        self.env_vars: dict[str, str] = {}
        self.log_path = STATE_DIR / "env" / f"{id}.log"
        self.lock = threading.Lock()  # serialises invoke/respawn/stop
        self.stopped = False

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self.env_vars = {k: str(v) for k, v in env_vars.items()}
        self.endpoint.start()
        with self.lock:
            self._spawn_and_wait()

    def stop(self) -> None:
        self.stopped = True
        # Cancel pending futures first: a start-up or invoke waiting on them holds self.lock.
        with contextlib.suppress(KeyError):  # already unregistered
            executor_router().unregister_endpoint(self.id)
        for future in (self.endpoint.startup_future, self.endpoint.invocation_future):
            if future is not None:
                future.cancel()
        with self.lock:
            self._kill()

    def _spawn_and_wait(self) -> None:
        code_dir = self.function_version.config.code.get_unzipped_code_location()
        extra_paths = [str(p) for p in self._layer_paths()] + [str(runtime_site_dir())]
        # Pass a bound socket instead of a port number: no race for a free port.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        self.endpoint.container_port = sock.getsockname()[1]
        env = {
            # Only what a Lambda sandbox has; LocalStack's own settings must not leak in.
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            **self.env_vars,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "_AAAS_CODE_DIR": str(code_dir),
            "_AAAS_EXTRA_PATHS": os.pathsep.join(extra_paths),
            "_AAAS_LISTEN_FD": str(sock.fileno()),
            "_AAAS_PARENT_PID": str(os.getpid()),
        }
        self.endpoint.startup_future = Future()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.log_path.open("ab") as log:
                self.process = SPAWNER.popen(
                    args=[sys.executable, "-I", "-S", str(BOOTSTRAP)],
                    env=env,
                    cwd=str(code_dir),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(sock.fileno(),),
                    start_new_session=True,  # own process group: killpg takes its children too
                )
        finally:
            sock.close()  # the child holds its own copy
        LOG.debug("aaas: started pid %s for %s", self.process.pid, self.function_version.qualified_arn)
        # Wait for /status/ready or /status/error, noticing a child that dies without either.
        while True:
            try:
                self.endpoint.startup_future.result(timeout=0.1)
                return
            except FutureTimeout:
                if self.process.poll() is not None:
                    raise LambdaRuntimeException(
                        f"Runtime exited during init with status {self.process.returncode}: {self.get_logs()[-2000:]}"
                    ) from None
            except CancelledError as e:  # stop() during start-up
                self._kill()
                raise ShutdownDuringStartup("environment stopped during start-up") from e
            except Exception:
                self._kill()
                raise

    def _layer_paths(self) -> list[Path]:
        paths = []
        for layer in self.function_version.config.layers or []:
            layer_dir = Path(layer.code.get_unzipped_code_location())
            paths += [layer_dir / "python", layer_dir]
        return paths

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    # --- invocation ------------------------------------------------------------------------------

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        with self.lock:
            if self.stopped:
                raise LambdaRuntimeException(f"environment {self.id} is stopped")
            if self.process is None or self.process.poll() is not None:
                # killed after a timeout or crashed: a fresh sandbox, as AWS would give
                self._kill()
                self._spawn_and_wait()
            return self._invoke(payload)

    def _invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        if FAULTS.should_fail("lambda", self.function_version.id.function_name, "Invoke"):
            # bootstrap.py raises this in place of calling the handler: an unhandled error, as AWS reports it.
            payload = {**payload, INJECTED_FAULT_KEY: "fault injected by aaas-localstack-ext (/_aaas/faults)"}
        timeout_s = int(self.function_version.config.timeout)
        self.endpoint.invocation_future = future = Future()
        self.endpoint.logs = None
        started = time.monotonic()
        response = requests.post(
            f"http://127.0.0.1:{self.endpoint.container_port}/invoke",
            json=payload,
            proxies={"http": "", "https": ""},
            timeout=10,
        )
        response.raise_for_status()
        while True:
            try:
                return future.result(timeout=0.05)
            except FutureTimeout:
                if time.monotonic() - started >= timeout_s:
                    self._kill()
                    return self._timeout_result(request_id, timeout_s, started)
                if self.process is not None and self.process.poll() is not None:
                    status = self.process.returncode
                    self._kill()
                    return self._platform_error(
                        request_id,
                        "Runtime.ExitError",
                        f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}",
                        started,
                    )

    def _timeout_result(self, request_id: str, timeout_s: int, started: float) -> InvocationResult:
        # The same message and errorType AWS returns for a Python function that times out.
        return self._platform_error(
            request_id,
            "Sandbox.Timedout",
            f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds",
            started,
            log_line=f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%fZ} {request_id} "
            f"Task timed out after {timeout_s:.2f} seconds",
        )

    def _platform_error(
        self, request_id: str, error_type: str, message: str, started: float, log_line: str = ""
    ) -> InvocationResult:
        duration_ms = (time.monotonic() - started) * 1000
        logs = (
            f"START RequestId: {request_id} Version: {self.function_version.id.qualifier}\n"
            f"{log_line or message}\nEND RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {int(duration_ms)} ms\t"
            f"Memory Size: {self.function_version.config.memory_size} MB\tMax Memory Used: 0 MB\n"
        )
        body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
        return InvocationResult(request_id, body, is_error=True, logs=logs)

    # --- addresses -------------------------------------------------------------------------------

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        # Functions reach LocalStack on the host loopback (AWS_ENDPOINT_URL is derived from this).
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://127.0.0.1:{port}{self.endpoint.get_endpoint_prefix()}"

    def get_logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # --- version preparation ---------------------------------------------------------------------

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        """Only unzip the code. Raising here makes LocalStack set the function State=Failed, which
        is what we want for anything this executor cannot run."""
        cfg = function_version.config
        if cfg.package_type != PackageType.Zip:
            raise LambdaRuntimeException(f"{EXECUTOR_NAME} runs only Zip packages, not {cfg.package_type}")
        if not _is_python(cfg.runtime):
            raise LambdaRuntimeException(
                f"{EXECUTOR_NAME} runs only Python runtimes (this is {sys.version.split()[0]}); "
                f"runtime {cfg.runtime} is not supported without Docker"
            )
        if cfg.code:
            cfg.code.prepare_for_execution()
        for layer in cfg.layers or []:
            layer.code.prepare_for_execution()
        runtime_site_dir()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass  # nothing beyond LocalStack's own unzipped code

    @classmethod
    def validate_environment(cls) -> bool:
        LOG.info("aaas: Lambda runtime executor %s active (%s)", EXECUTOR_NAME, sys.executable)
        return True


def cleanup_state_dir() -> None:
    """Called on LocalStack shutdown: children are gone by then, their logs and links can go."""
    shutil.rmtree(STATE_DIR, ignore_errors=True)
