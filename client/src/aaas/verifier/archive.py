"""Verifying the whole archive against the digest chain, from the first digest to the newest.

Checks, each reported as its own finding (key, version, digest, line where they apply):
- every digest: present (no sequence gap), signed, well-formed, linked to its predecessor by key
  and SHA-256, its period following the previous one, its running total adding up;
- every sealed object: its key still has that version as the current one, with the same bytes;
- every Merkle root and event count, recomputed from the sealed bytes;
- every object under data/ and errors/ is in some digest: older than the newest period (less the
  grace for notifications in flight) it is a failure, newer it is reported as not sealed yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from aaas.verifier.findings import Report
from aaas.verifier.keys import KeyLookup, signature_valid
from aaas.verifier.sources import Current, Source
from audit_shared import merkle
from audit_shared.clock import millis_from_iso
from audit_shared.digests import (
    Digest,
    MalformedDigestError,
    SealedObject,
    archive_lines,
    digest_key,
    parse,
    seal_object,
    sequence_of,
    sha256_hex,
    signature_key,
)

Progress = Callable[[str], None]
MAX_REPORTED_LINES = 20


@dataclass(frozen=True, slots=True)
class Loaded:
    digest: Digest
    sha256: str


def _load_digests(source: Source, keys: KeyLookup, report: Report) -> dict[int, Loaded]:
    """Every digest whose signature holds, by sequence; the others become findings."""
    loaded: dict[int, Loaded] = {}
    for key in sorted(source.digest_keys()):
        sequence = sequence_of(key)
        if sequence is None:
            continue  # the .sig objects, and anything else that is not a digest document
        body = source.read(key)
        if body is None:
            report.add("digest-missing", f"{key} was listed but cannot be read", digest=key)
            continue
        signature = source.read(signature_key(key))
        try:
            digest = parse(body)
        except MalformedDigestError as exc:
            report.add("digest-malformed", f"{key} is not a valid digest document: {exc}", digest=key)
            continue
        if signature is None:
            report.add("digest-unsigned", f"{key} has no signature object {signature_key(key)}", digest=key)
            continue
        if not signature_valid(keys(digest.keyid), signature, body):
            report.add("digest-signature-invalid", f"{key}: signature does not verify with the public key", digest=key)
            continue
        if digest.sequence != sequence:
            report.add("digest-malformed", f"{key} holds sequence {digest.sequence}", digest=key)
            continue
        loaded[sequence] = Loaded(digest, sha256_hex(body))
    return loaded


def _check_chain(loaded: dict[int, Loaded], report: Report) -> None:
    if not loaded:
        report.add("digest-missing", "no signed digest found under digests/")
        return
    newest = max(loaded)
    for sequence in range(1, newest + 1):
        if sequence not in loaded:
            following = next((later for later in range(sequence + 1, newest + 1) if later in loaded), None)
            after = f"; {digest_key(following)} links to it" if following == sequence + 1 else ""
            report.add(
                "digest-missing",
                f"{digest_key(sequence)} is missing from the chain{after}",
                digest=digest_key(sequence),
            )
    for sequence, item in sorted(loaded.items()):
        digest, key = item.digest, digest_key(sequence)
        if digest.treesize != sum(entry.events for entry in digest.objects):
            report.add("chain-broken", f"{key}: tree size {digest.treesize} is not the sum of its events", digest=key)
        if sequence == 1:
            if digest.previous is not None:
                report.add("chain-broken", f"{key} is the first digest but links to {digest.previous.key}", digest=key)
            if digest.totalevents != digest.treesize:
                report.add(
                    "chain-broken", f"{key}: running total {digest.totalevents} != {digest.treesize}", digest=key
                )
            continue
        previous = loaded.get(sequence - 1)
        if digest.previous is None or digest.previous.key != digest_key(sequence - 1):
            report.add("chain-broken", f"{key} does not link to {digest_key(sequence - 1)}", digest=key)
        elif previous is not None and digest.previous.sha256 != previous.sha256:
            report.add(
                "chain-broken",
                f"{key} links to {digest.previous.key} with SHA-256 {digest.previous.sha256}, "
                f"but that digest hashes to {previous.sha256}",
                digest=key,
            )
        if previous is not None:
            if digest.periodstart != previous.digest.periodend:
                report.add("chain-broken", f"{key} starts at {digest.periodstart}, not where "
                           f"{previous.digest.key} ends ({previous.digest.periodend})", digest=key)  # fmt: skip
            if digest.totalevents != previous.digest.totalevents + digest.treesize:
                report.add("chain-broken", f"{key}: running total {digest.totalevents} != "
                           f"{previous.digest.totalevents} + {digest.treesize}", digest=key)  # fmt: skip


def _changed_lines(sealed: bytes, current: bytes, first_leaf: int) -> tuple[dict[str, object], ...]:
    """Which event lines of the current bytes do not match their leaves (sealed lines)."""
    before, after = archive_lines(sealed), archive_lines(current)
    changed = []
    for number in range(max(len(before), len(after))):
        old = before[number] if number < len(before) else None
        new = after[number] if number < len(after) else None
        if old != new:
            what = "added" if old is None else "removed" if new is None else "changed"
            changed.append({"line": number + 1, "leaf": first_leaf + number, "change": what})
    return tuple(changed[:MAX_REPORTED_LINES])


def _check_object(
    source: Source, entry: SealedObject, digest: Digest, first_leaf: int, current: Current | None, report: Report
) -> bytes | None:
    """Compare one sealed object with the archive; return its sealed bytes when they are available."""
    where = {"key": entry.key, "versionid": entry.versionid, "digest": digest.key}
    if entry.sha256 is None:
        report.add("object-deleted", f"{entry.key} version {entry.versionid} was deleted before {digest.key} "
                   f"could seal it ({entry.unreadable})", **where)  # fmt: skip
        return None
    if current is None:
        report.add("object-deleted", f"{entry.key} (sealed version {entry.versionid} in {digest.key}) is deleted",
                   **where)  # fmt: skip
        return source.read_version(entry.key, entry.versionid)
    body = source.read(entry.key)
    sealed = body if body is not None and sha256_hex(body) == entry.sha256 else None
    if source.has_versions:
        sealed = source.read_version(entry.key, entry.versionid)
        if sealed is not None and sha256_hex(sealed) != entry.sha256:
            sealed = None  # a version's bytes cannot change in S3; treat it as unavailable
    newer = source.has_versions and current.versionid != entry.versionid
    if body is None or newer or sha256_hex(body) != entry.sha256:
        now = f"now version {current.versionid}" if newer else "current bytes"
        actual = sha256_hex(body) if body is not None else "unreadable"
        lines = _changed_lines(sealed, body, first_leaf) if sealed is not None and body is not None else ()
        report.add(
            "object-changed",
            f"{entry.key} changed after sealing: sealed version {entry.versionid} in {digest.key} has SHA-256 "
            f"{entry.sha256}; {now} {actual}",
            lines=lines,
            **where,
        )
    return sealed


def _check_digest_objects(
    source: Source, digest: Digest, current: dict[str, Current], report: Report, progress: Progress
) -> None:
    hashes: list[bytes] = []
    recomputable = True
    first_leaf = 0
    for entry in digest.objects:
        sealed = _check_object(source, entry, digest, first_leaf, current.get(entry.key), report)
        report.objects += 1
        if sealed is None:
            recomputable = recomputable and entry.sha256 is None
        else:
            recounted, leaves = seal_object(entry.key, entry.versionid, sealed)
            report.bytes += len(sealed)
            if recounted.events != entry.events:
                report.add("event-count-mismatch", f"{entry.key} holds {recounted.events} events; {digest.key} "
                           f"sealed {entry.events}", key=entry.key, versionid=entry.versionid,
                           digest=digest.key)  # fmt: skip
                recomputable = False
            hashes += leaves
        first_leaf += entry.events
        progress(f"{digest.key}: {report.objects} objects, {report.events + len(hashes)} events checked")
    report.events += len(hashes)
    if recomputable and merkle.root_from_hashes(hashes).hex() != digest.root:
        report.add("root-mismatch", f"{digest.key}: the Merkle root recomputed from its {len(digest.objects)} "
                   f"objects is not {digest.root}", digest=digest.key)  # fmt: skip


def _check_sealed_versions(loaded: dict[int, Loaded], report: Report) -> set[str]:
    """The keys the chain seals. A version sealed twice is a finding; a key sealed again with a new
    version (overwritten, then sealed by a later digest) is already reported by ``_check_object``."""
    seen: dict[tuple[str, str], list[str]] = defaultdict(list)
    for _, item in sorted(loaded.items()):
        for entry in item.digest.objects:
            seen[entry.order].append(item.digest.key)
    for (key, versionid), digests in seen.items():
        if len(digests) > 1:
            report.add("object-sealed-twice", f"{key} version {versionid} is sealed by {', '.join(digests)}",
                       key=key, versionid=versionid)  # fmt: skip
    return {key for key, _ in seen}


def _check_coverage(
    loaded: dict[int, Loaded], sealed_keys: set[str], current: dict[str, Current], grace_ms: int, report: Report
) -> None:
    last_end = max((millis_from_iso(item.digest.periodend) for item in loaded.values()), default=None)
    for key, version in sorted(current.items()):
        if key in sealed_keys:
            continue
        where = {"key": key, "versionid": version.versionid}
        if last_end is not None and version.modified_ms <= last_end - grace_ms:
            report.add("object-never-sealed", f"{key} is older than the newest sealed period but in no digest",
                       **where)  # fmt: skip
        else:
            report.add("object-unsealed", f"{key} was created after the newest digest: not sealed yet, not verified",
                       **where)  # fmt: skip


def verify_archive(source: Source, keys: KeyLookup, grace_ms: int, progress: Progress) -> Report:
    report = Report(source.name)
    progress("listing digests")
    loaded = _load_digests(source, keys, report)
    report.digests = len(loaded)
    _check_chain(loaded, report)
    progress("listing data/ and errors/")
    current = source.current_objects()
    for _, item in sorted(loaded.items()):
        _check_digest_objects(source, item.digest, current, report, progress)
    sealed_keys = _check_sealed_versions(loaded, report)
    _check_coverage(loaded, sealed_keys, current, grace_ms, report)
    return report
