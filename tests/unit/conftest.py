"""Fixtures of the unit tests beyond the shared ones in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from archive_stack import ArchiveStack


@pytest.fixture
def stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveStack]:
    """The archive bucket, the digest ledger and the signing key on moto, with the digest handler."""
    archive = ArchiveStack(monkeypatch)
    yield archive
    archive.close()
