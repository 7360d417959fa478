"""The signed manifest of an export, shared by the export function (writes it) and verify-export (checks it).

The manifest names the filter, the format, the row count, the data object's size and SHA-256, and
each multipart part's byte range and SHA-256. Its signature is KMS ECDSA_SHA_256 over the canonical
JSON (sorted keys, compact, UTF-8) of the manifest without its ``signature`` field, so the key id and
algorithm are signed too.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass
from typing import Any

from audit_shared import jsonio
from audit_shared.digests import SIGNING_ALGORITHM
from audit_shared.signing import Signer

MANIFEST_FORMAT = "aaas-export-manifest/1"
EXPORT_FORMATS = ("ndjson", "csv")
SIGNATURE_FIELD = "signature"


@dataclass(frozen=True, slots=True)
class Part:
    """One multipart part: where it lies in the data object, and the SHA-256 of its bytes (hex)."""

    number: int
    offset: int
    length: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def manifest_body(
    *,
    exportid: str,
    client: str,
    export_format: str,
    filter_document: dict[str, Any],
    rowcount: int,
    data_key: str,
    size: int,
    sha256: str,
    parts: list[Part],
    createdat: str,
    completedat: str,
    key_id: str,
) -> dict[str, Any]:
    return {
        "manifestformat": MANIFEST_FORMAT,
        "exportid": exportid,
        "client": client,
        "format": export_format,
        "filter": filter_document,
        "rowcount": rowcount,
        "object": {"key": data_key, "bytes": size, "sha256": sha256},
        "parts": [part.to_dict() for part in parts],
        "createdat": createdat,
        "completedat": completedat,
        "keyid": key_id,
        "algorithm": SIGNING_ALGORITHM,
    }


def signed_message(manifest: dict[str, Any]) -> bytes:
    """The bytes the signature covers: the canonical form of everything but the signature."""
    return jsonio.canonical({name: value for name, value in manifest.items() if name != SIGNATURE_FIELD})


def sign(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    signature = signer.sign(signed_message(body))
    return {**body, SIGNATURE_FIELD: base64.b64encode(signature).decode("ascii")}
