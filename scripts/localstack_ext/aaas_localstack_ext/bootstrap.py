"""Lambda-like Python runtime for one execution environment of the ``aaas-process`` executor.

Started as ``python -I -S bootstrap.py``: until we extend sys.path only the standard library is
importable, so this file must use the standard library only (never LocalStack or its venv).
sys.path becomes [code dir, layer dirs, boto3-only dir, stdlib], like /var/task, /opt/python and
/var/runtime in AWS.

Protocol (LocalStack's ``executor_endpoint.py``): listen for ``POST /invoke`` on the socket handed
over by the executor; POST ``{endpoint}/status/{runtime id}/ready`` (or ``/error``) after init;
per invocation POST ``/invocations/{id}/logs`` first, then ``/response`` or ``/error``.
"""

import ctypes
import decimal
import http.server
import importlib
import io
import json
import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.request
from datetime import UTC, datetime
from typing import Any

# Private settings from the executor; removed so the function sees a Lambda-like environment.
CODE_DIR = os.environ.pop("_AAAS_CODE_DIR")
EXTRA_PATHS = [p for p in os.environ.pop("_AAAS_EXTRA_PATHS", "").split(os.pathsep) if p]
LISTEN_FD = int(os.environ.pop("_AAAS_LISTEN_FD"))
PARENT_PID = int(os.environ.pop("_AAAS_PARENT_PID"))

RUNTIME_ENDPOINT = os.environ["LOCALSTACK_RUNTIME_ENDPOINT"]
RUNTIME_ID = os.environ["LOCALSTACK_RUNTIME_ID"]
TIMEOUT_S = int(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT", "3"))

# No proxies: all traffic goes to LocalStack on the loopback interface.
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _tie_lifetime_to_parent() -> None:
    """Exit when LocalStack exits, even if it is SIGKILLed and cannot stop us itself."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog below still works

    def watchdog() -> None:
        while True:
            if os.getppid() != PARENT_PID:  # re-parented: LocalStack is gone
                os._exit(1)
            time.sleep(1)

    if os.getppid() != PARENT_PID:  # parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=watchdog, name="parent-watchdog", daemon=True).start()


def _post(path: str, body: bytes) -> None:
    request = urllib.request.Request(  # noqa: S310 - http URL of LocalStack, from the executor
        f"{RUNTIME_ENDPOINT}{path}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with _HTTP.open(request, timeout=30) as response:
        response.read()


class _LogCapture(io.TextIOBase):
    """Replaces sys.stdout and sys.stderr for the life of the process.

    Loggers created at import time (e.g. Powertools' StreamHandler(sys.stdout)) keep a reference to
    this object, so one long-lived sink that routes writes to the current invocation's buffer
    captures everything. Writes also go to the real stderr (the environment's log file)."""

    def __init__(self, passthrough: Any) -> None:
        self._passthrough = passthrough
        self._lock = threading.Lock()
        self._buffer: list[str] = []

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer.append(text)
        self._passthrough.write(text)
        self._passthrough.flush()
        return len(text)

    def flush(self) -> None:
        self._passthrough.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:
        return "utf-8"

    def take(self) -> str:
        with self._lock:
            text, self._buffer = "".join(self._buffer), []
        return text


class LambdaContext:
    """The attributes of the AWS Python runtime's context object."""

    def __init__(self, request_id: str, invoked_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string, as in AWS's runtime (awslambdaric reads it from the environment as is).
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class InjectedFault(Exception):
    """Raised in place of the handler when the executor's invoke carries ``aaas-injected-fault``
    (see faults.py): to Firehose or any caller it is the function's own unhandled error."""


class _Fault(Exception):
    """An error the runtime itself reports, e.g. Runtime.ImportModuleError."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type, self.message, self.stack = error_type, message, stack or []


def _load_handler(spec: str) -> Any:
    """Resolve ``module.func`` like awslambdaric: import problems become faults reported on every
    invoke (the environment stays up); any other exception during import fails the init."""
    try:
        modname, fname = spec.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {e}") from None
    modname = modname.replace("/", ".")
    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        raise _Fault("Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}") from None
    except SyntaxError as e:
        raise _Fault(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{modname}': {e}",
            [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}'],
        ) from None
    handler = getattr(module, fname, None)
    if handler is None:
        raise _Fault("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'")
    return handler


def _to_json(value: Any) -> bytes:
    def default(obj: Any) -> Any:
        if isinstance(obj, decimal.Decimal):  # AWS's runtime serialises Decimal, e.g. from DynamoDB
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")

    return json.dumps(value, default=default).encode()


def _peak_rss_mb() -> int:
    # VmHWM, not getrusage: ru_maxrss keeps the forking LocalStack's peak across exec.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def _error_body(error_type: str, message: str, request_id: str, stack: list[str]) -> bytes:
    return json.dumps(
        {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    ).encode()


class _InvokeServer(http.server.BaseHTTPRequestHandler):
    jobs: "queue.Queue[dict[str, str]]" = queue.Queue()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path != "/invoke":
            self.send_response(404)
            self.end_headers()
            return
        self.jobs.put(body)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # keep the function's log free of access lines
        pass


def _serve() -> None:
    sock = socket.socket(fileno=LISTEN_FD)
    server = http.server.HTTPServer(sock.getsockname(), _InvokeServer, bind_and_activate=False)
    server.socket = sock
    threading.Thread(target=server.serve_forever, name="invoke-server", daemon=True).start()


def _invoke(handler: Any, fault: _Fault | None, capture: _LogCapture, job: dict[str, str]) -> None:
    request_id = job["invoke-id"]
    started = time.monotonic()
    deadline_ms = int(time.time() * 1000) + TIMEOUT_S * 1000
    os.environ["_X_AMZN_TRACE_ID"] = job.get("trace-id") or ""
    _RequestIdFilter.request_id = request_id
    capture.take()  # drop anything written between invocations
    body, is_error = b"", False
    try:
        if fault is not None:
            raise fault
        if job.get("aaas-injected-fault"):
            raise InjectedFault(job["aaas-injected-fault"])
        payload = job.get("payload") or "{}"
        try:
            event = json.loads(payload)
        except ValueError as e:
            raise _Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}") from None
        result = handler(event, LambdaContext(request_id, job["invoked-function-arn"], deadline_ms))
        try:
            body = _to_json(result)
        except (TypeError, ValueError) as e:
            raise _Fault("Runtime.MarshalError", f"Unable to marshal response: {e}") from None
    except _Fault as f:
        is_error = True
        body = _error_body(f.error_type, f.message, request_id, f.stack)
        print(f"[ERROR] {f.error_type}: {f.message}", file=sys.stdout)
    except Exception as e:  # the function's own unhandled error
        is_error = True
        stack = traceback.format_list(traceback.extract_tb(e.__traceback__)[1:])
        body = _error_body(type(e).__name__, str(e), request_id, stack)
        print(
            f"[ERROR] {type(e).__name__}: {e}\nTraceback (most recent call last):\n{''.join(stack)}",
            file=sys.stdout,
            end="",
        )
    duration_ms = (time.monotonic() - started) * 1000
    max_rss_mb = _peak_rss_mb()
    logs = (
        f"START RequestId: {request_id} Version: {os.environ.get('AWS_LAMBDA_FUNCTION_VERSION')}\n"
        f"{capture.take()}"
        f"END RequestId: {request_id}\n"
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {int(duration_ms) + 1} ms\t"
        f"Memory Size: {os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')} MB\t"
        f"Max Memory Used: {max_rss_mb} MB\n"
    )
    # LocalStack attaches the logs it holds when the result arrives, so logs must be sent first.
    _post(f"/invocations/{request_id}/logs", json.dumps({"logs": logs}).encode())
    _post(f"/invocations/{request_id}/{'error' if is_error else 'response'}", body)


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _configure_root_logger() -> None:
    """The AWS runtime installs a root handler writing ``[LEVEL] time request-id message``."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    logging.getLogger().addHandler(handler)


def main() -> None:
    _tie_lifetime_to_parent()
    capture = _LogCapture(sys.__stderr__)
    sys.stdout = sys.stderr = capture
    sys.path[:0] = [CODE_DIR, *EXTRA_PATHS]
    os.chdir(CODE_DIR)
    _configure_root_logger()
    _serve()

    handler, fault = None, None
    try:
        handler = _load_handler(os.environ["_HANDLER"])
    except _Fault as f:
        fault = f  # reported on each invoke, like AWS
    except Exception as e:  # init failure: report it and exit, LocalStack returns it to the caller
        stack = traceback.format_list(traceback.extract_tb(e.__traceback__))
        print(f"[ERROR] {type(e).__name__}: {e}\n{''.join(stack)}", end="")
        _post(f"/status/{RUNTIME_ID}/error", _error_body(type(e).__name__, str(e), "", stack))
        sys.exit(1)
    _post(f"/status/{RUNTIME_ID}/ready", b"{}")

    while True:
        job = _InvokeServer.jobs.get()
        _invoke(handler, fault, capture, job)


if __name__ == "__main__":
    print(f"{datetime.now(UTC).isoformat()} aaas-process runtime starting", file=sys.stderr)
    main()
