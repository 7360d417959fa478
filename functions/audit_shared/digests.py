"""The signed digest chain: document format, key names, and how an archived object becomes leaves.

The digest function writes these documents and ``scripts/verify.py`` (and any client SDK) reads
them, so every rule both sides must agree on lives here: which bytes are a leaf, in which order,
what the document holds and how it is serialized before it is signed.

A digest is canonical JSON (sorted keys, compact, UTF-8) at ``digests/<sequence, 12 digits>.json``;
its KMS signature (DER-encoded ECDSA P-256 over the exact document bytes) is beside it at
``digests/<sequence>.sig``. Sequence numbers start at 1 and never skip, so a gap is visible.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from audit_shared import merkle
from audit_shared.clock import iso_utc

FORMAT = "aaas-digest/1"
DIGEST_PREFIX = "digests/"
SEALED_PREFIXES = ("data/", "errors/")
SIGNING_ALGORITHM = "ECDSA_SHA_256"
TREE_ALGORITHM = "RFC9162_SHA256"
LEAF_RULE = "SHA-256(0x00 || line), line = one non-empty line of the stored object (gunzipped), without its newline"
NODE_RULE = "SHA-256(0x01 || left || right)"
LEAF_ORDER = "objects in the order listed (sorted by key, then version id); each object's lines in file order"
GZIP_MAGIC = b"\x1f\x8b"
_DIGEST_KEY = re.compile(r"^digests/(\d{12})\.json$")


class MalformedDigestError(ValueError):
    """A digest document that does not follow this format."""


def digest_key(sequence: int) -> str:
    return f"{DIGEST_PREFIX}{sequence:012d}.json"


def signature_key(key: str) -> str:
    return key.removesuffix(".json") + ".sig"


def sequence_of(key: str) -> int | None:
    """The sequence number a digest key names, or None for anything else under digests/."""
    match = _DIGEST_KEY.match(key)
    return int(match.group(1)) if match else None


def is_sealed_key(key: str) -> bool:
    return key.startswith(SEALED_PREFIXES)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- objects -> leaves ----------------------------------------------------------------------------


class UnreadableObjectError(ValueError):
    """The stored bytes are not a gzip stream (or plain text) that can be split into lines."""


def archive_lines(raw: bytes) -> list[bytes]:
    """The leaves of one archived object: its non-empty lines, without the newline, in file order.

    Firehose writes data/ objects as gzip NDJSON (one canonical event per line) and errors/ objects
    as one JSON error record per line, gzip too when the stream compresses; plain text is read as is.
    """
    text = raw
    if raw[:2] == GZIP_MAGIC:
        try:
            text = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableObjectError(f"not a valid gzip stream: {exc}") from exc
    return [line for line in text.split(b"\n") if line]


@dataclass(frozen=True, slots=True)
class SealedObject:
    """One object as a digest lists it."""

    key: str
    versionid: str
    size: int
    sha256: str | None  # None when the object was gone before it could be sealed
    events: int
    unreadable: str | None = None  # why the object holds no leaves although it has bytes (or none)

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "key": self.key,
            "versionid": self.versionid,
            "size": self.size,
            "sha256": self.sha256,
            "events": self.events,
        }
        if self.unreadable:
            item["unreadable"] = self.unreadable
        return item

    @property
    def order(self) -> tuple[str, str]:
        return (self.key, self.versionid)


def seal_object(key: str, versionid: str, raw: bytes) -> tuple[SealedObject, list[bytes]]:
    """The digest entry and the leaf hashes of one object's stored bytes."""
    try:
        lines = archive_lines(raw)
    except UnreadableObjectError as exc:
        # Sealed anyway, by its bytes' hash: an undecodable object must still not be changeable.
        return SealedObject(key, versionid, len(raw), sha256_hex(raw), 0, str(exc)), []
    return SealedObject(key, versionid, len(raw), sha256_hex(raw), len(lines)), merkle.leaf_hashes(lines)


def in_leaf_order(objects: Sequence[SealedObject]) -> bool:
    return all(first.order < second.order for first, second in pairwise(objects))


def missing_object(key: str, versionid: str, size: int, reason: str) -> SealedObject:
    """An object recorded in the ledger whose version was deleted before the seal could read it."""
    return SealedObject(key, versionid, size, None, 0, reason)


# --- the document ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    key: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Digest:
    """A parsed digest document."""

    sequence: int
    bucket: str
    periodstart: str
    periodend: str
    previous: Link | None
    objects: tuple[SealedObject, ...]
    treesize: int
    root: str
    totalevents: int
    keyid: str
    algorithm: str

    @property
    def key(self) -> str:
        return digest_key(self.sequence)

    def leaf_ranges(self) -> dict[tuple[str, str], range]:
        """(key, version id) -> the leaf indexes of that object's lines."""
        ranges, start = {}, 0
        for item in self.objects:
            ranges[item.order] = range(start, start + item.events)
            start += item.events
        return ranges


def build_document(
    *,
    sequence: int,
    bucket: str,
    period_start_ms: int,
    period_end_ms: int,
    previous: Link | None,
    objects: list[SealedObject],
    root: bytes,
    total_events: int,
    key_id: str,
) -> dict[str, Any]:
    """The document to sign. ``objects`` must already be in leaf order (see ``LEAF_ORDER``)."""
    if not in_leaf_order(objects):
        raise ValueError("objects must be sorted by key, then version id, each listed once")
    return {
        "format": FORMAT,
        "sequence": sequence,
        "bucket": bucket,
        "periodstart": iso_utc(period_start_ms),
        "periodend": iso_utc(period_end_ms),
        "previous": {"key": previous.key, "sha256": previous.sha256} if previous else None,
        "objects": [item.to_dict() for item in objects],
        "tree": {
            "algorithm": TREE_ALGORITHM,
            "leaf": LEAF_RULE,
            "node": NODE_RULE,
            "leaforder": LEAF_ORDER,
            "size": sum(item.events for item in objects),
            "root": root.hex(),
        },
        "totalevents": total_events,
        "signature": {"keyid": key_id, "algorithm": SIGNING_ALGORITHM, "messagetype": "RAW"},
    }


def encode(document: dict[str, Any]) -> bytes:
    """The exact bytes that are stored and signed."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise MalformedDigestError(message)


def _object(item: Any, position: int) -> SealedObject:
    where = f"objects[{position}]"
    _require(isinstance(item, dict), f"{where} is not an object")
    _require(isinstance(item.get("key"), str) and isinstance(item.get("versionid"), str), f"{where}: key/versionid")
    _require(item.get("sha256") is None or isinstance(item["sha256"], str), f"{where}: sha256")
    for field in ("size", "events"):
        _require(isinstance(item.get(field), int) and item[field] >= 0, f"{where}: {field}")
    return SealedObject(
        item["key"], item["versionid"], item["size"], item["sha256"], item["events"], item.get("unreadable")
    )


def parse(data: bytes) -> Digest:
    """Read a digest document; raise MalformedDigestError naming the first thing that is wrong."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDigestError(f"not JSON: {exc}") from exc
    _require(isinstance(document, dict) and document.get("format") == FORMAT, f"format is not {FORMAT}")
    _require(isinstance(document.get("sequence"), int) and document["sequence"] >= 1, "sequence")
    objects_raw = document.get("objects")
    _require(isinstance(objects_raw, list), "objects is not a list")
    objects = tuple(_object(item, position) for position, item in enumerate(objects_raw))
    _require(in_leaf_order(objects), "objects are not sorted by key, then version id, each listed once")
    tree, signature, previous = document.get("tree"), document.get("signature"), document.get("previous")
    _require(isinstance(tree, dict) and tree.get("algorithm") == TREE_ALGORITHM, "tree.algorithm")
    _require(isinstance(tree.get("size"), int) and isinstance(tree.get("root"), str), "tree.size/root")
    _require(isinstance(signature, dict) and isinstance(signature.get("keyid"), str), "signature.keyid")
    _require(previous is None or isinstance(previous, dict), "previous")
    _require(isinstance(document.get("totalevents"), int), "totalevents")
    return Digest(
        sequence=document["sequence"],
        bucket=str(document.get("bucket", "")),
        periodstart=str(document.get("periodstart", "")),
        periodend=str(document.get("periodend", "")),
        previous=Link(str(previous.get("key")), str(previous.get("sha256"))) if previous else None,
        objects=objects,
        treesize=tree["size"],
        root=tree["root"],
        totalevents=document["totalevents"],
        keyid=signature["keyid"],
        algorithm=str(signature.get("algorithm")),
    )
