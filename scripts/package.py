#!/usr/bin/env python3
"""Build one deterministic Lambda zip per function into build/.

Each zip holds the function's package, the shared package, a precompiled schema validator, the
runtime dependencies from functions/requirements.lock.txt as manylinux wheels for the chosen Lambda
architecture (installed with hash checking), the shared package's native colon counter built for
that architecture (scripts/native.py), and bytecode for the runtime's Python so cold starts skip
compiling. Rebuilding unchanged sources gives byte-identical zips, so Terraform's
filebase64sha256 only changes when the code does.

Usage: package.py [--build-dir DIR] [--architecture arm64|x86_64] [FUNCTION ...]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import native

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
SHARED_PACKAGE = "audit_shared"
REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"
RUNTIME_LOCK = FUNCTIONS_DIR / "requirements.lock.txt"  # written by scripts/lock_runtime.py
LAMBDA_PYTHON_VERSION = "3.13"  # must match the runtime in terraform (python3.13)
# Lambda's python3.13 runtime is Amazon Linux 2023 (glibc 2.34): manylinux_2_28 and older wheels run.
# pip matches --platform tags literally, so the older manylinux2014 (glibc 2.17) tag is named too.
LAMBDA_PLATFORMS = {
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}
DEFAULT_ARCHITECTURE = "arm64"  # the Terraform default of lambda_architecture
BYTECODE_TAG = "cpython-313"  # sys.implementation.cache_tag of the runtime
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
SKIPPED_DIRS = {"__pycache__"}
# Powertools utilities no function imports (the zip import test proves it); leaving them out keeps
# the zips a third smaller. jmespath's bin/ holds a CLI script the Lambda never runs.
UNUSED_DEPENDENCY_PATHS = (
    "bin/",
    *(
        f"aws_lambda_powertools/utilities/{name}/"
        for name in (
            "auth_alpha", "batch", "circuit_breaker", "data_masking", "feature_flags", "idempotency",
            "kafka", "parameters", "parser", "streaming", "validation",
        )
    ),
)  # fmt: skip
# C sources are built, not shipped; the checkout's own build of the library is for this machine.
SKIPPED_SUFFIXES = {".pyc", ".pyo", ".c"}
SKIPPED_NAMES = {".complete", "requirements.txt", native.LIBRARY_NAME}
VALIDATOR_MODULE = f"{SHARED_PACKAGE}/_schema_v1_validator.py"


class PackagingError(Exception):
    pass


def function_names() -> list[str]:
    return sorted(path.parent.name for path in FUNCTIONS_DIR.glob("*/handler.py"))


def host_architecture() -> str:
    """The Lambda architecture name of this machine, for zips that run locally (tests, LocalStack)."""
    machine = os.uname().machine
    return {"aarch64": "arm64", "arm64": "arm64", "x86_64": "x86_64", "amd64": "x86_64"}[machine.lower()]


def platform_options(architecture: str) -> list[str]:
    return [option for platform in LAMBDA_PLATFORMS[architecture] for option in ("--platform", platform)]


def dependencies_dir(build_dir: Path, architecture: str) -> Path:
    """Install the locked dependencies once per lock content, platform and Python version."""
    platforms = LAMBDA_PLATFORMS[architecture]
    key_source = RUNTIME_LOCK.read_bytes() + f"{platforms}/{LAMBDA_PYTHON_VERSION}".encode()
    target = build_dir / ".deps" / hashlib.sha256(key_source).hexdigest()[:16]
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    # --no-deps with hashes: the lock must name every wheel, and pip refuses any other file.
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--no-deps", "--require-hashes", *platform_options(architecture), "--only-binary=:all:", "--implementation", "cp",
        "--python-version", LAMBDA_PYTHON_VERSION, "--target", str(target), "-r", str(RUNTIME_LOCK),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    if result.returncode != 0:
        raise PackagingError(f"pip could not install {RUNTIME_LOCK.name}: {result.stderr.strip().splitlines()[-1:]}")
    (target / ".complete").write_text("")
    return target


def compiled_validator() -> bytes:
    """The schema validator as Python source, so cold starts skip compiling the schema."""
    import fastjsonschema

    schema = json.loads((FUNCTIONS_DIR / SHARED_PACKAGE / "schemas" / "audit-event.v1.json").read_text())
    code = fastjsonschema.compile_to_code(schema, use_default=False, fast_fail=False)
    # The root function is named after the schema's $id; audit_shared.validation imports `validate`.
    root_function = re.search(r"^def (validate\w*)\(", code, re.MULTILINE)
    if root_function is None:
        raise PackagingError("fastjsonschema generated no validate function")
    header = "# Generated by scripts/package.py from audit-event.v1.json. Do not edit.\n"
    return f"{header}{code}\nvalidate = {root_function.group(1)}\n".encode()


def files_under(base: Path, prefix: str = "") -> dict[str, Path]:
    """Archive name -> file, without bytecode caches or build stamps."""
    files = {}
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        if not path.is_file() or SKIPPED_DIRS & set(relative.parts) or path.suffix in SKIPPED_SUFFIXES:
            continue
        name = f"{prefix}{relative.as_posix()}"
        if relative.name in SKIPPED_NAMES or name.startswith(UNUSED_DEPENDENCY_PATHS):
            continue
        files[name] = path
    return files


def bytecode(sources: dict[str, bytes]) -> dict[str, bytes]:
    """Archive name -> .pyc for every .py source, as the runtime's Python would cache it.

    Unchecked-hash pycs hold no source mtime, so they are as reproducible as the sources, and the
    runtime loads them without even hashing the source. dfile is the archive name, so tracebacks
    show package paths instead of this machine's.
    """
    if sys.implementation.cache_tag != BYTECODE_TAG:
        raise PackagingError(
            f"bytecode must be compiled by Python {LAMBDA_PYTHON_VERSION}; this is {sys.version.split()[0]}"
        )
    compiled = {}
    with tempfile.TemporaryDirectory() as tmp:
        source_file, cache_file = Path(tmp) / "source.py", Path(tmp) / "compiled.pyc"
        for name, source in sources.items():
            source_file.write_bytes(source)
            try:
                py_compile.compile(
                    str(source_file), cfile=str(cache_file), dfile=name, doraise=True, optimize=0,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )  # fmt: skip
            except py_compile.PyCompileError as exc:
                raise PackagingError(f"cannot compile {name}: {exc.msg}") from exc
            folder, _, module = name.rpartition("/")
            prefix = f"{folder}/" if folder else ""
            compiled[f"{prefix}__pycache__/{module.removesuffix('.py')}.{BYTECODE_TAG}.pyc"] = cache_file.read_bytes()
    return compiled


def write_zip(destination: Path, files: dict[str, Path], generated: dict[str, bytes]) -> None:
    entries = {name: path.read_bytes() for name, path in files.items()} | generated
    entries |= bytecode({name: data for name, data in entries.items() if name.endswith(".py")})
    temporary = destination.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are honoured
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name], compresslevel=9)
    os.replace(temporary, destination)


def b64_sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def build(names: list[str], build_dir: Path, architecture: str = DEFAULT_ARCHITECTURE) -> list[tuple[str, Path]]:
    build_dir.mkdir(parents=True, exist_ok=True)
    deps = dependencies_dir(build_dir, architecture)
    try:
        library = native.compile_library(architecture)
    except native.NativeBuildError as exc:
        raise PackagingError(str(exc)) from exc
    generated = {VALIDATOR_MODULE: compiled_validator(), f"{SHARED_PACKAGE}/{native.LIBRARY_NAME}": library}
    built = []
    for name in names:
        files = files_under(deps)
        files |= files_under(FUNCTIONS_DIR / SHARED_PACKAGE, f"{SHARED_PACKAGE}/")
        files |= files_under(FUNCTIONS_DIR / name, f"{name}/")
        destination = build_dir / f"{name}.zip"
        write_zip(destination, files, generated)
        built.append((name, destination))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument(
        "--architecture",
        choices=sorted(LAMBDA_PLATFORMS),
        default=os.environ.get("LAMBDA_ARCHITECTURE") or DEFAULT_ARCHITECTURE,
        help=f"Lambda architecture the wheels are for (default: $LAMBDA_ARCHITECTURE or {DEFAULT_ARCHITECTURE})",
    )
    parser.add_argument("functions", nargs="*", help=f"default: all ({', '.join(function_names())})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.functions) - set(function_names()))
    if unknown:
        print(f"package: unknown function(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    try:
        built = build(args.functions or function_names(), args.build_dir, args.architecture)
    except PackagingError as exc:
        print(f"package: {exc}", file=sys.stderr)
        return 1
    print(f"{'zip (' + args.architecture + ')':<40} {'bytes':>10}  base64 sha256 (filebase64sha256)")
    for _, path in built:
        shown = os.path.relpath(path, Path.cwd())
        print(f"{shown:<40} {path.stat().st_size:>10}  {b64_sha256(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
