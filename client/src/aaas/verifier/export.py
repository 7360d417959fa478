"""verify-export: check a downloaded export against its signed manifest, offline.

The manifest (written by the export function, format audit_shared.export_manifest) names the data
object's size and SHA-256, each part's byte range and SHA-256, and the row count, and is signed by
the export signing key over its canonical form. Any truncation, edit, addition or a forged manifest
shows as a finding; the part whose bytes changed is named with its byte and line range.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from aaas.verifier.findings import AccessError
from aaas.verifier.keys import pem_public_key, signature_valid
from audit_shared.export_manifest import EXPORT_FORMATS, MANIFEST_FORMAT, signed_message

READ_BYTES = 1 << 20


def _manifest(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    try:
        document = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return None, [f"manifest {path} is not readable JSON: {exc}"]
    problems = []
    if not isinstance(document, dict) or document.get("manifestformat") != MANIFEST_FORMAT:
        return None, [f"manifest {path} is not an {MANIFEST_FORMAT} document"]
    obj = document.get("object")
    if not (isinstance(obj, dict) and isinstance(obj.get("bytes"), int) and isinstance(obj.get("sha256"), str)):
        problems.append("manifest has no object size and SHA-256")
    if not isinstance(document.get("parts"), list) or not all(
        isinstance(part, dict) and {"number", "offset", "length", "sha256"} <= set(part) for part in document["parts"]
    ):
        problems.append("manifest has no valid list of parts")
    if document.get("format") not in EXPORT_FORMATS or not isinstance(document.get("rowcount"), int):
        problems.append("manifest has no valid format and row count")
    return (None if problems else document), problems


def _signature_findings(manifest: dict[str, Any], public_key_pem: bytes) -> list[str]:
    key = pem_public_key(public_key_pem, "the export public key")
    try:
        signature = base64.b64decode(manifest.get("signature", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        return ["manifest signature is not base64"]
    if not signature or not signature_valid(key, signature, signed_message(manifest)):
        return [f"manifest signature does not verify with the given key (manifest names key {manifest.get('keyid')})"]
    return []


def _rows(data: Path, export_format: str) -> int:
    with data.open("rb") as stream:
        if export_format == "ndjson":
            return sum(chunk.count(b"\n") for chunk in iter(lambda: stream.read(READ_BYTES), b""))
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
        return max(sum(1 for _ in csv.reader(text)) - 1, 0)  # less the header


def _data_findings(data: Path, manifest: dict[str, Any]) -> list[str]:
    expected_size, expected_sha = manifest["object"]["bytes"], manifest["object"]["sha256"]
    whole = hashlib.sha256()
    findings = []
    size = 0
    lines_before = 0
    with data.open("rb") as stream:
        for part in sorted(manifest["parts"], key=lambda item: item["offset"]):
            stream.seek(part["offset"])
            digest, got, newlines = hashlib.sha256(), 0, 0
            while got < part["length"]:
                chunk = stream.read(min(READ_BYTES, part["length"] - got))
                if not chunk:
                    break
                digest.update(chunk)
                newlines += chunk.count(b"\n")
                got += len(chunk)
            if got < part["length"]:
                findings.append(
                    f"part {part['number']} (bytes {part['offset']}-{part['offset'] + part['length'] - 1}) is truncated: "
                    f"{got} of {part['length']} bytes"
                )
            elif digest.hexdigest() != part["sha256"]:
                findings.append(
                    f"part {part['number']} (bytes {part['offset']}-{part['offset'] + part['length'] - 1}, "
                    f"lines {lines_before + 1}-{lines_before + max(newlines, 1)}) was changed: its SHA-256 does not match"
                )
            lines_before += newlines
        stream.seek(0)
        for chunk in iter(lambda: stream.read(READ_BYTES), b""):
            whole.update(chunk)
            size += len(chunk)
    if size < expected_size:
        findings.insert(0, f"export is truncated: {size} of {expected_size} bytes")
    elif size > expected_size:
        findings.insert(0, f"export has {size - expected_size} bytes more than the manifest's {expected_size}")
    if whole.hexdigest() != expected_sha:
        findings.append("export's SHA-256 does not match the manifest")
    if not findings and (rows := _rows(data, manifest["format"])) != manifest["rowcount"]:
        findings.append(f"export holds {rows} rows; the manifest says {manifest['rowcount']}")
    return findings


def verify_export(data: Path, manifest: Path, public_key_pem: bytes | None) -> list[str]:
    """Every problem found, one line each; empty when the export is intact (and signed, given a key).

    Without a key the manifest's signature is not checked, only the data against the manifest.
    Raises AccessError when the data file or the key cannot be read.
    """
    document, findings = _manifest(manifest)
    if document is None:
        return findings
    if public_key_pem is not None:
        findings += _signature_findings(document, public_key_pem)
    if not data.is_file():
        raise AccessError(f"cannot read the export {data}")
    return findings + _data_findings(data, document)
