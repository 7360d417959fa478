"""Opaque, authenticated paging cursors.

A cursor is ``base64url(payload).base64url(HMAC-SHA-256(key, payload))``. The payload binds the
position to the tenant (the API client), the filter it was issued for and an expiry, so a cursor that
was edited, replayed by another client, reused with another filter or kept too long is refused, and
the refusal says which of the four it is. Unlike a plain base64 offset, nobody can forge one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from audit_shared import jsonio

VERSION = 1


class CursorError(ValueError):
    """A cursor the caller may not use; ``reason`` is tampered, foreign-tenant, changed-filter or expired."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class CursorCodec:
    key: bytes
    ttl_seconds: int

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()

    def mint(self, *, tenant: str, filter_digest: str, position: dict[str, str], now_s: int) -> str:
        payload = jsonio.canonical(
            {"v": VERSION, "t": tenant, "f": filter_digest, "p": position, "e": now_s + self.ttl_seconds}
        )
        return f"{_encode(payload)}.{_encode(self._mac(payload))}"

    def open(self, token: str, *, tenant: str, filter_digest: str, now_s: int) -> dict[str, str]:
        """The position a cursor resumes from; raises CursorError naming what is wrong with it."""
        payload = self._verified_payload(token)
        if payload["t"] != tenant:
            raise CursorError("foreign-tenant", "cursor was issued to another API client")
        if payload["e"] < now_s:
            raise CursorError("expired", "cursor has expired; start the search again without a cursor")
        if payload["f"] != filter_digest:
            raise CursorError(
                "changed-filter", "cursor was issued for a different filter; keep the filter while paging"
            )
        return payload["p"]

    def _verified_payload(self, token: str) -> dict[str, Any]:
        tampered = CursorError("tampered", "cursor is malformed or has been altered")
        encoded_payload, _, encoded_mac = token.partition(".")
        try:
            payload, mac = _decode(encoded_payload), _decode(encoded_mac)
        except (binascii.Error, ValueError) as exc:
            raise tampered from exc
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise tampered
        document = jsonio.loads(payload)  # authentic, so it is what mint() wrote
        if document.get("v") != VERSION:
            raise tampered
        return document


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or non-ASCII cursor part")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
