"""Single-event proofs: where an event sits in a sealed digest, and the audit path to its root.

A proof document carries everything ``verify.py verify-event`` needs besides the public key:
the leaf index, the tree size, the audit path, the digest's key, its exact text and its signature.
The ``GET /v1/events/{eventid}/proof`` route calls ``proof_for_event``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from audit_shared import ledger, merkle
from audit_shared.archive_objects import version_args
from audit_shared.digests import Digest, archive_lines, parse, seal_object, signature_key
from audit_shared.events import canonical_bytes
from audit_shared.partitions import data_prefix

PROOF_FORMAT = "aaas-proof/1"


class ProofUnavailableError(RuntimeError):
    """The archive no longer matches the digest that sealed the event, so no honest proof exists."""


@dataclass(frozen=True, slots=True)
class Proof:
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Pending:
    """Archived but not sealed yet; sealing is expected by ``expected_ms`` (epoch ms)."""

    expected_ms: int


@dataclass(frozen=True, slots=True)
class NotArchived:
    """No archived object holds the event (yet): Firehose may still be buffering it."""


ProofResult = Proof | Pending | NotArchived


def _read(s3: Any, bucket: str, key: str, versionid: str | None = None) -> bytes:
    extra = version_args(versionid) if versionid else {}
    return s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()


def _leaf_hashes(s3: Any, bucket: str, digest: Digest) -> list[bytes]:
    """Every leaf hash of a digest's tree, from the sealed object versions."""
    hashes: list[bytes] = []
    for item in digest.objects:
        if item.sha256 is None:
            continue  # recorded as gone at sealing time: it has no leaves
        entry, leaves = seal_object(item.key, item.versionid, _read(s3, bucket, item.key, item.versionid))
        if entry.sha256 != item.sha256:
            raise ProofUnavailableError(f"{item.key} version {item.versionid} no longer matches {digest.key}")
        hashes += leaves
    return hashes


def build_proof(s3: Any, bucket: str, digest_key: str, object_key: str, versionid: str, line: bytes) -> dict[str, Any]:
    """The proof that ``line`` of that object version is a leaf of the digest's tree."""
    body = _read(s3, bucket, digest_key)
    signature = _read(s3, bucket, signature_key(digest_key))
    digest = parse(body)
    hashes = _leaf_hashes(s3, bucket, digest)
    leaves = digest.leaf_ranges().get((object_key, versionid))
    if leaves is None:
        raise ProofUnavailableError(f"{digest_key} does not list {object_key} version {versionid}")
    wanted = merkle.leaf_hash(line)
    index = next((position for position in leaves if hashes[position] == wanted), None)
    if index is None:
        raise ProofUnavailableError(f"the event is not a line of {object_key} version {versionid}")
    path = merkle.inclusion_proof(hashes, index)
    # Self-check before handing it out: a proof the verifier would refuse is a bug here.
    if not merkle.verify_inclusion(wanted, index, digest.treesize, path, bytes.fromhex(digest.root)):
        raise ProofUnavailableError(f"the recomputed tree does not match the root of {digest_key}")
    return {
        "format": PROOF_FORMAT,
        "leafindex": index,
        "treesize": digest.treesize,
        "auditpath": [item.hex() for item in path],
        "object": {"key": object_key, "versionid": versionid, "line": index - leaves.start + 1},
        "digestkey": digest_key,
        "digest": body.decode("utf-8"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def locate_event(s3: Any, bucket: str, line: bytes, prefix: str) -> tuple[str, str] | None:
    """The (key, version id) of the current archived object under ``prefix`` that holds ``line``."""
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            if not version.get("IsLatest"):
                continue
            versionid = version.get("VersionId") or "null"
            if line in archive_lines(_read(s3, bucket, version["Key"], versionid)):
                return version["Key"], versionid
    return None


def proof_for_event(
    clients: Any, bucket: str, table: str, event: dict[str, Any], now_ms: int, interval_minutes: int
) -> ProofResult:
    """Proof, Pending (with the expected seal time) or NotArchived for one indexed event."""
    line = canonical_bytes(event)
    found = locate_event(clients.s3, bucket, line, data_prefix(event))
    if found is None:
        return NotArchived()
    key, versionid = found
    item = ledger.object_state(clients.dynamodb, table, key, versionid)
    if not item or item.get("state", {}).get("S") != ledger.SEALED:
        head = ledger.read_head(clients.dynamodb, table)
        interval_ms = interval_minutes * 60_000
        expected = (head.periodend_ms + interval_ms) if head else now_ms + interval_ms
        return Pending(max(expected, now_ms))
    document = build_proof(clients.s3, bucket, item["digestkey"]["S"], key, versionid, line)
    return Proof({"eventid": event.get("eventid"), **document})
