"""Where the archive is read from: the S3 bucket (online) or a local copy of it (offline).

An offline copy is the bucket's ``data/``, ``errors/`` and ``digests/`` trees as files, e.g. from
``aws s3 sync s3://BUCKET/ DIR`` (which keeps each object's LastModified as the file's mtime). It
has current bytes only, so version ids cannot be compared there; changed bytes are still found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aaas.verifier.findings import AccessError
from audit_shared.digests import DIGEST_PREFIX, SEALED_PREFIXES

_MISSING = frozenset({"NoSuchKey", "NoSuchVersion", "404", "InvalidArgument"})


@dataclass(frozen=True, slots=True)
class Current:
    """The current version of one archived key."""

    versionid: str | None  # None offline: a local file has no version
    modified_ms: int


class Source(Protocol):
    name: str
    has_versions: bool

    def digest_keys(self) -> list[str]: ...

    def current_objects(self) -> dict[str, Current]: ...

    def read(self, key: str) -> bytes | None: ...

    def read_version(self, key: str, versionid: str) -> bytes | None: ...


class BucketSource:
    """The archive bucket, through boto3 (AWS_ENDPOINT_URL selects LocalStack)."""

    has_versions = True

    def __init__(self, client: Any, bucket: str) -> None:
        # botocore only on this online path: the SDK installs without it.
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (ClientError, BotoCoreError)
        self.client = client
        self.bucket = bucket
        self.name = f"s3://{bucket}"

    def _pages(self, operation: str, prefix: str) -> Iterator[dict[str, Any]]:
        try:
            yield from self.client.get_paginator(operation).paginate(Bucket=self.bucket, Prefix=prefix)
        except self._errors as exc:
            raise AccessError(f"cannot list {self.name}/{prefix}: {exc}") from exc

    def digest_keys(self) -> list[str]:
        return [
            item["Key"] for page in self._pages("list_objects_v2", DIGEST_PREFIX) for item in page.get("Contents", [])
        ]

    def current_objects(self) -> dict[str, Current]:
        current: dict[str, Current] = {}
        for prefix in SEALED_PREFIXES:
            for page in self._pages("list_object_versions", prefix):
                # A delete marker as the latest version means the key is deleted: not current.
                for version in page.get("Versions", []):
                    if version.get("IsLatest"):
                        modified = int(version["LastModified"].timestamp() * 1000)
                        current[version["Key"]] = Current(version.get("VersionId") or "null", modified)
        return current

    def _get(self, key: str, **extra: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()
        except self._errors as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in _MISSING:
                return None
            raise AccessError(f"cannot read {self.name}/{key}: {exc}") from exc

    def read(self, key: str) -> bytes | None:
        return self._get(key)

    def read_version(self, key: str, versionid: str) -> bytes | None:
        from audit_shared.archive_objects import version_args  # imports botocore: online only

        return self._get(key, **version_args(versionid))


class DirectorySource:
    """A local copy of the archive, for an auditor without AWS access."""

    has_versions = False

    def __init__(self, root: Path) -> None:
        if not (root / DIGEST_PREFIX).is_dir():
            raise AccessError(f"{root} has no {DIGEST_PREFIX} folder: not a copy of the archive")
        self.root = root
        self.name = str(root)

    def _keys(self, prefix: str) -> Iterator[tuple[str, Path]]:
        base = self.root / prefix
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    yield path.relative_to(self.root).as_posix(), path

    def digest_keys(self) -> list[str]:
        return [key for key, _ in self._keys(DIGEST_PREFIX)]

    def current_objects(self) -> dict[str, Current]:
        return {
            key: Current(None, int(path.stat().st_mtime * 1000))
            for prefix in SEALED_PREFIXES
            for key, path in self._keys(prefix)
        }

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AccessError(f"cannot read {path}: {exc}") from exc

    def read_version(self, key: str, versionid: str) -> bytes | None:
        return None  # a copy holds current bytes only
