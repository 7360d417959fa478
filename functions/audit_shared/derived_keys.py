"""Secrets the functions derive from a KMS HMAC key, so that no key material is stored anywhere.

``derive_key`` asks KMS for HMAC-SHA-256(kms key, purpose) once per cold start; the result is a
per-purpose key that never leaves the function's memory. Rotating means a new KMS key (HMAC keys do
not rotate automatically), which invalidates what was signed with the old one: for cursors that is
at most one expiry period of paging.
"""

from __future__ import annotations

from typing import Any

MAC_ALGORITHM = "HMAC_SHA_256"


def derive_key(kms: Any, key_id: str, purpose: str) -> bytes:
    response = kms.generate_mac(KeyId=key_id, Message=f"aaas/{purpose}".encode(), MacAlgorithm=MAC_ALGORITHM)
    return bytes(response["Mac"])
