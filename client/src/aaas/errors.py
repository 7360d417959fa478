"""What the SDK raises: every failure is an AuditError; API answers carry status, errorcode and errors."""

from __future__ import annotations

from typing import Any


class AuditError(Exception):
    """Any failure of the SDK; its message is one line a user can act on."""


class ConfigError(AuditError):
    """The URL, key or Terraform outputs are missing or unusable."""


class TransportError(AuditError):
    """The API could not be reached, or did not answer in time."""


class ApiError(AuditError):
    """The API answered with an error: its status, errorcode, message and every listed problem."""

    def __init__(self, status: int, body: Any, method: str = "", path: str = "") -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {"message": str(body)}
        self.errorcode: str | None = self.body.get("errorcode")
        self.message: str = str(self.body.get("message", ""))
        self.retryable: bool = bool(self.body.get("retryable", False))
        self.errors: list[dict[str, str]] = list(self.body.get("errors") or [])
        self.method, self.path = method, path
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"{self.method} {self.path}: " if self.method else ""
        problems = "; ".join(f"{item.get('field') or '(event)'}: {item.get('message')}" for item in self.errors)
        return f"{where}{self.status} {self.errorcode or 'Error'}: {problems or self.message}"


class ExportFailed(AuditError):
    """An export finished with status `failed`; the export document says why."""

    def __init__(self, export: dict[str, Any]) -> None:
        self.export = export
        super().__init__(f"export {export.get('exportid')} failed: {export.get('error', 'no reason given')}")


class WaitTimeout(AuditError):
    """A waiter gave up before the resource reached its final state."""
