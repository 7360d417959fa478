"""``verify-event``: one event and its proof document, checked offline with only the public key."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aaas.verifier.findings import Report
from aaas.verifier.keys import KeyLookup, signature_valid
from audit_shared import merkle
from audit_shared.digests import MalformedDigestError, parse
from audit_shared.events import canonical_bytes


def _path(proof: dict[str, Any]) -> list[bytes] | None:
    path = proof.get("auditpath")
    if not isinstance(path, list) or not all(isinstance(item, str) for item in path):
        return None
    try:
        return [bytes.fromhex(item) for item in path]
    except ValueError:
        return None


def verify_event(event: Any, proof: Any, keys: KeyLookup) -> Report:
    """Signature of the digest, the event's place in it, and its audit path to the signed root."""
    report = Report("proof")
    if not isinstance(event, dict) or not isinstance(proof, dict):
        report.add("proof-malformed", "the event and the proof must both be JSON objects")
        return report
    digest_key = str(proof.get("digestkey"))
    try:
        body = str(proof["digest"]).encode("utf-8")
        signature = base64.b64decode(str(proof["signature"]), validate=True)
        digest = parse(body)
    except (KeyError, binascii.Error, MalformedDigestError) as exc:
        report.add("proof-malformed", f"the proof's digest or signature is unusable: {exc}", digest=digest_key)
        return report
    report.digests = 1
    if not signature_valid(keys(digest.keyid), signature, body):
        report.add("digest-signature-invalid", f"{digest_key}: signature does not verify with the public key",
                   digest=digest_key)  # fmt: skip
        return report
    if digest.key != digest_key:
        report.add("proof-malformed", f"the proof names {digest_key} but carries {digest.key}", digest=digest.key)
    index, size, path = proof.get("leafindex"), proof.get("treesize"), _path(proof)
    place = proof.get("object") if isinstance(proof.get("object"), dict) else {}
    key, versionid = str(place.get("key")), str(place.get("versionid"))
    if not isinstance(index, int) or not isinstance(size, int) or path is None:
        report.add("proof-malformed", "leafindex, treesize and auditpath are required", digest=digest.key)
        return report
    if size != digest.treesize:
        report.add("proof-malformed", f"tree size {size} is not the signed size {digest.treesize}", digest=digest.key)
        return report
    leaves = digest.leaf_ranges().get((key, versionid))
    if leaves is None or index not in leaves:
        report.add("proof-malformed", f"leaf {index} is not a line of {key} version {versionid} in {digest.key}",
                   key=key, versionid=versionid, digest=digest.key)  # fmt: skip
        return report
    report.objects, report.events = 1, 1
    leaf = merkle.leaf_hash(canonical_bytes(event))
    if not merkle.verify_inclusion(leaf, index, size, path, bytes.fromhex(digest.root)):
        report.add(
            "leaf-mismatch",
            f"event {event.get('eventid')} does not match leaf {index} of {digest.key} "
            f"(line {index - leaves.start + 1} of {key}): the event or its audit path was changed",
            key=key, versionid=versionid, digest=digest.key,
            lines=({"line": index - leaves.start + 1, "leaf": index, "change": "changed"},),
        )  # fmt: skip
    return report
