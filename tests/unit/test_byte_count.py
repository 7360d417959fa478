"""The native colon counter: the same answers as bytes.count, for either architecture, built the same every time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import native
import package
from audit_shared import byte_count

# Sizes around the C loop's edges: a 32-byte vector, a 255-round flush (8,160 bytes), the ctypes floor.
EDGE_SIZES = [0, 1, 31, 32, 33, 4095, 4096, 8159, 8160, 8161, 8192, 16_321, 100_000]
ELF_MACHINES = {"arm64": 183, "x86_64": 62}  # e_machine: EM_AARCH64, EM_X86_64


def test_this_checkout_counts_natively() -> None:
    # make install builds the library for this machine: the tests and benchmarks run what the zips run.
    assert byte_count.NATIVE, f"{byte_count.LIBRARY} is missing: run make install (scripts/native.py)"


@pytest.mark.parametrize("size", EDGE_SIZES)
@pytest.mark.parametrize("fill", [b":", b"a", b'{"a":"b:c"},'])
def test_counts_as_bytes_count_does_at_the_loop_edges(size: int, fill: bytes) -> None:
    data = (fill * (size // len(fill) + 1))[:size]
    assert byte_count.count_colons(data) == data.count(b":")
    # Every byte a colon: each one-byte lane counter reaches 255 before its flush, and never wraps.
    assert byte_count._native is not None and byte_count._native(data, len(data), ord(":")) == data.count(b":")


def test_other_buffers_are_counted_too() -> None:
    data = b'{"a":"1:2"},' * 1000
    assert byte_count.count_colons(bytearray(data)) == byte_count.count_colons(memoryview(data)) == 2000


@settings(max_examples=500, deadline=None)
@given(data=st.one_of(st.binary(max_size=20_000), st.binary(min_size=4096, max_size=40_000)))
def test_counts_as_bytes_count_does(data: bytes) -> None:
    assert byte_count.count_colons(data) == data.count(b":")


def test_without_the_library_bytes_count_answers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert byte_count._load(tmp_path / "absent.so") is None
    not_a_library = tmp_path / "libaaas_count.so"
    not_a_library.write_bytes(b"\x7fELF but not really")
    assert byte_count._load(not_a_library) is None
    monkeypatch.setattr(byte_count, "_native", None)
    data = b'{"a":"1:2"}' * 1000
    assert byte_count.count_colons(data) == 2000


@pytest.mark.parametrize("architecture", sorted(ELF_MACHINES))
def test_the_library_is_built_the_same_for_each_architecture(architecture: str) -> None:
    first, second = native.compile_library(architecture), native.compile_library(architecture)
    assert first == second
    assert first[:4] == b"\x7fELF" and int.from_bytes(first[18:20], "little") == ELF_MACHINES[architecture]
    assert b"aaas_count_byte" in first
    # It links nothing, not even libc: one build runs on every runtime of its architecture.
    assert b"libc.so" not in first and b"GLIBC_" not in first


HARNESS = r"""
#include <stddef.h>
size_t aaas_count_byte(const unsigned char *buffer, size_t size, unsigned char byte);
static unsigned char data[70000];
int main(void) {
    unsigned int state = 12345;
    for (size_t size = 0; size < sizeof data; size = size * 3 / 2 + 1) {
        for (int fill = 0; fill < 3; fill++) {
            size_t expected = 0;
            for (size_t i = 0; i < size; i++) {
                state = state * 1103515245u + 12345u;
                data[i] = fill == 0 ? ':' : fill == 1 ? 'a' : (unsigned char)(state >> 16);
                expected += data[i] == ':';
            }
            if (aaas_count_byte(data, size, ':') != expected) return 1;
        }
    }
    return 0;
}
"""


def _runner(architecture: str) -> list[str] | None:
    """How to run an executable of ``architecture`` here: directly, under qemu, or not at all."""
    if architecture == package.host_architecture():
        return []
    emulator = shutil.which(f"qemu-{native.TARGETS[architecture].split('-')[0]}-static")
    return [emulator] if emulator else None


@pytest.mark.parametrize("architecture", sorted(ELF_MACHINES))
def test_each_architectures_build_counts_right_when_run(tmp_path: Path, architecture: str) -> None:
    runner = _runner(architecture)
    if runner is None:
        pytest.skip(f"nothing here runs {architecture} code (qemu-user-static would)")
    # The library's source and optimization flags, as a static executable with a checking main().
    harness = tmp_path / "harness.c"
    harness.write_text(HARNESS)
    executable = tmp_path / "harness"
    flags = [flag for flag in native.FLAGS if flag not in ("-shared", "-fPIC", "-nostdlib")]
    target = native.TARGETS[architecture].split("-")[0] + "-linux-musl"
    subprocess.run(
        [sys.executable, "-m", "ziglang", "cc", "-target", target, "-static", *flags,
         "-o", str(executable), str(native.SOURCE), str(harness)],
        check=True, capture_output=True,
    )  # fmt: skip
    assert subprocess.run([*runner, str(executable)], check=False).returncode == 0


LOADER = r"""
#include <dlfcn.h>
#include <stddef.h>
typedef size_t (*count_fn)(const unsigned char *, size_t, unsigned char);
static unsigned char data[300000];
int main(int argc, char **argv) {
    void *library = dlopen(argv[1], RTLD_NOW);  /* what ctypes.CDLL does */
    if (argc != 2 || library == NULL) return 2;
    count_fn count = (count_fn)dlsym(library, "aaas_count_byte");
    if (count == NULL) return 3;
    size_t expected = 0;
    for (size_t i = 0; i < sizeof data; i++) {
        data[i] = i * 7919 % 13 == 0 ? ':' : 'x';
        expected += data[i] == ':';
    }
    return count(data, sizeof data, ':') == expected ? 0 : 1;
}
"""
ARM64_SYSROOT = Path("/usr/aarch64-linux-gnu")  # Debian's libc6-arm64-cross


@pytest.mark.skipif(
    shutil.which("qemu-aarch64-static") is None or not (ARM64_SYSROOT / "lib" / "ld-linux-aarch64.so.1").exists(),
    reason="qemu-user-static and libc6-arm64-cross load arm64 libraries here",
)
def test_the_shipped_arm64_library_loads_through_glibc_and_counts(tmp_path: Path) -> None:
    # The very bytes make package puts in an arm64 zip, opened by glibc's loader as ctypes opens it.
    library = tmp_path / native.LIBRARY_NAME
    library.write_bytes(native.compile_library("arm64"))
    loader = tmp_path / "loader.c"
    loader.write_text(LOADER)
    executable = tmp_path / "loader"
    subprocess.run(
        [sys.executable, "-m", "ziglang", "cc", "-target", native.TARGETS["arm64"], "-O2", "-o", str(executable),
         str(loader), "-ldl"],
        check=True, capture_output=True,
    )  # fmt: skip
    run = ["qemu-aarch64-static", "-L", str(ARM64_SYSROOT), str(executable), str(library)]
    assert subprocess.run(run, check=False).returncode == 0
