"""Colons counted at vector speed: what the duplicate-key checks count in every body they take.

The fast paths prove that no member was dropped as a duplicate key by counting the colons of what
was sent and of what is written (see jsonio._no_duplicate_keys). CPython's bytes.count compares one
byte at a time, about 3 GB/s here, which made the counting a tenth of ingestion's time. count_byte.c,
built for the function's architecture by scripts/native.py and shipped beside this module, compares
32 at a time. Without the library (a checkout where ``make install`` did not build it, another
platform) bytes.count gives the same answers, only slower.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path

LIBRARY = Path(__file__).with_name("libaaas_count.so")
# Below this size a ctypes call (about 0.8 µs) costs more than bytes.count takes.
NATIVE_FROM_BYTES = 4096
_COLON = ord(":")


def _load(path: Path) -> Callable[[bytes, int, int], int] | None:
    try:
        function = ctypes.CDLL(str(path)).aaas_count_byte
    except (OSError, AttributeError):  # absent, another architecture, or not our library
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_ubyte]
    function.restype = ctypes.c_size_t
    return function


_native = _load(LIBRARY)
NATIVE = _native is not None


def count_colons(data: bytes | bytearray | memoryview) -> int:
    """``bytes(data).count(b":")``. A bytes object is handed to C as a pointer to its own buffer, no
    copy; another buffer (which ctypes refuses as ``c_char_p``) is copied to bytes first."""
    if type(data) is not bytes:
        data = bytes(data)
    if _native is None or len(data) < NATIVE_FROM_BYTES:
        return data.count(b":")
    return _native(data, len(data), _COLON)
