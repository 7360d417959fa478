#!/usr/bin/env python3
"""Build the project's native library (functions/audit_shared/count_byte.c) for a Lambda architecture.

zig, installed from PyPI (the ziglang wheel in requirements/dev.lock.txt), cross-compiles for both
architectures from any machine. The library calls nothing, not even libc, so one build per
architecture runs on every Lambda runtime. It is stripped and has no build id: the same source gives
the same bytes, wherever it is built.

Usage: native.py --architecture arm64|x86_64 [--out PATH]
  (default PATH: functions/audit_shared/libaaas_count.so, where byte_count.py loads it in a checkout)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "functions" / "audit_shared" / "count_byte.c"
LIBRARY_NAME = "libaaas_count.so"
# glibc 2.17 is manylinux2014's floor; the library links nothing, so this only names the ABI.
TARGETS = {"arm64": "aarch64-linux-gnu.2.17", "x86_64": "x86_64-linux-gnu.2.17"}
FLAGS = ["-O3", "-shared", "-fPIC", "-nostdlib", "-s", "-Wl,--build-id=none", "-fno-ident"]


class NativeBuildError(Exception):
    pass


def compile_library(architecture: str) -> bytes:
    """The library built for ``architecture``, as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / LIBRARY_NAME
        # zig keeps its cache in the temporary folder too: nothing of this machine's enters the build.
        env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=f"{tmp}/zig-global", ZIG_LOCAL_CACHE_DIR=f"{tmp}/zig-local")
        command = [sys.executable, "-m", "ziglang", "cc", "-target", TARGETS[architecture], *FLAGS,
                   "-o", str(output), str(SOURCE)]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
        except OSError as exc:
            raise NativeBuildError(f"cannot run zig: {exc}") from exc
        if result.returncode != 0:
            reason = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or ["no output"]
            raise NativeBuildError(f"zig could not build {SOURCE.name} for {architecture}: {reason[0]}")
        return output.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architecture", choices=sorted(TARGETS), required=True)
    parser.add_argument("--out", type=Path, default=SOURCE.with_name(LIBRARY_NAME))
    args = parser.parse_args(argv)
    try:
        library = compile_library(args.architecture)
    except NativeBuildError as exc:
        print(f"native: {exc}", file=sys.stderr)
        return 1
    args.out.write_bytes(library)
    print(f"native: built {os.path.relpath(args.out, Path.cwd())} for {args.architecture} ({len(library)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
