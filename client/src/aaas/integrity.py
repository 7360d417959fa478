"""Offline integrity checks for SDK users: one event against its proof, or a copy of the archive.

Both use the project's one verifier (aaas.verifier) with nothing but the digest public key (PEM,
`terraform output digest_public_key_pem`). A Report lists each finding; `report.exit_code` is 0
when everything holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aaas.verifier.archive import verify_archive
from aaas.verifier.event import verify_event as _verify_event
from aaas.verifier.findings import Report
from aaas.verifier.keys import pem_key
from aaas.verifier.sources import DirectorySource


def verify_event(event: dict[str, Any], proof: dict[str, Any], public_key: Path) -> Report:
    """The digest's signature, the event's leaf and its audit path to the signed Merkle root."""
    return _verify_event(event, proof, pem_key(Path(public_key)))


def verify_archive_copy(directory: Path, public_key: Path, grace_seconds: int = 300) -> Report:
    """The whole digest chain over a local copy of data/, errors/ and digests/ (e.g. `aws s3 sync`)."""
    return verify_archive(DirectorySource(Path(directory)), pem_key(Path(public_key)), grace_seconds * 1000, _quiet)


def _quiet(_message: str) -> None:
    return None
