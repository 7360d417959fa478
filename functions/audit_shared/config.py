"""Deployment configuration read from the environment.

Terraform writes these variables; a missing or malformed one is a deployment error, so it fails the
cold start loudly instead of letting the function run with a wrong policy.
"""

from __future__ import annotations

import os
from typing import Any

from audit_shared import jsonio


class ConfigurationError(RuntimeError):
    """Raised when an environment variable set by the deployment is missing or malformed."""


def required_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def json_env(name: str, default: Any = None) -> Any:
    raw = os.environ.get(name, "").strip()
    if not raw:
        if default is None:
            raise ConfigurationError(f"environment variable {name} is not set")
        return default
    try:
        return jsonio.loads(raw)
    except jsonio.JSONError as exc:
        raise ConfigurationError(f"environment variable {name} is not valid JSON: {exc.reason}") from exc


def string_list_env(name: str) -> frozenset[str]:
    value = json_env(name)
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigurationError(f"environment variable {name} must be a JSON array of strings")
    return frozenset(value)


def positive_int_env(name: str, default: int | None = None) -> int:
    """A positive integer; required unless a default is given (Terraform sets every value it owns)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        if default is None:
            raise ConfigurationError(f"environment variable {name} is not set")
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"environment variable {name} must be an integer") from exc
    if value <= 0:
        raise ConfigurationError(f"environment variable {name} must be positive")
    return value
