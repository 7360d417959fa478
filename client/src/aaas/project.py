"""Operator commands that need the project's checkout: they rebuild or read AWS resources with the
project's own code (the functions' index key design, the report SQL), not through the API.

`aaas reindex` and `aaas report` run `scripts/<tool>.py` of the checkout with this interpreter, so
there is one implementation of each: `make reindex` / `make report` run the same files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aaas.errors import ConfigError


def project_root(start: Path | None = None) -> Path:
    """The checkout: $AAAS_PROJECT_DIR, else the nearest folder at or above ``start`` (the working
    directory) that holds scripts/ and terraform/."""
    configured = os.environ.get("AAAS_PROJECT_DIR")
    if configured:
        return Path(configured)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "scripts").is_dir() and (folder / "terraform").is_dir():
            return folder
    raise ConfigError("run this inside the Audit as a Service checkout, or set AAAS_PROJECT_DIR to it")


def run_tool(name: str, argv: list[str]) -> int:
    """Run scripts/<name>.py of the checkout with ``argv``; its exit code."""
    script = project_root() / "scripts" / f"{name}.py"
    if not script.is_file():
        raise ConfigError(f"{script} is missing: is AAAS_PROJECT_DIR the project's checkout?")
    return subprocess.run([sys.executable, str(script), *argv], check=False).returncode  # noqa: S603
