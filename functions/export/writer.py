"""Streaming an export into S3 with a multipart upload: memory is two parts, whatever the export's size.

Each full part is hashed and uploaded by one background thread while the export goes on reading
the archive (hashlib, zlib and the network release the GIL), with at most one part in flight, so
memory stays bounded. Each part is sent with its SHA-256 (S3 checks it on arrival), and the same
hashes, with each part's byte range and the whole object's SHA-256, go into the signed manifest.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from audit_shared.export_manifest import Part

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's minimum for every part but the last


@dataclass(frozen=True, slots=True)
class Written:
    parts: list[Part]
    size: int
    sha256: str


class MultipartWriter:
    """Buffers up to ``part_bytes`` and uploads full parts; a small export is a single PutObject."""

    def __init__(self, client: Any, bucket: str, key: str, kms_key_id: str, content_type: str, part_bytes: int) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"parts must be at least {MIN_PART_BYTES} bytes")
        self.client = client
        self.bucket = bucket
        self.key = key
        self.part_bytes = part_bytes
        self.encryption = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id, "ContentType": content_type}
        self.pending: list[bytes] = []  # joined once per part: one copy of the data
        self.pending_bytes = 0
        self.upload_id: str | None = None
        self.parts: list[Part] = []
        self.completed: list[dict[str, Any]] = []
        self.size = 0
        self.whole = hashlib.sha256()
        self._uploader: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None

    def write(self, data: bytes) -> None:
        self.pending.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes >= self.part_bytes:
            self._submit(self._take())

    def _take(self) -> list[bytes]:
        """The buffered pieces of the next part, joined later by whoever uploads it."""
        pieces = self.pending
        self.pending = []
        self.pending_bytes = 0
        return pieces

    def _record(self, data: bytes) -> str:
        """Hash one part in order: its manifest entry, the whole object's hash, and S3's checksum."""
        digest = hashlib.sha256(data)
        self.parts.append(Part(len(self.parts) + 1, self.size, len(data), digest.hexdigest()))
        self.size += len(data)
        self.whole.update(data)
        return base64.b64encode(digest.digest()).decode("ascii")

    def _submit(self, pieces: list[bytes]) -> None:
        """Hand a full part to the uploader once the previous one is done (its errors surface here)."""
        if self.upload_id is None:
            created = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ChecksumAlgorithm="SHA256", **self.encryption
            )
            self.upload_id = created["UploadId"]
            self._uploader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-upload")
        self._wait()
        assert self._uploader is not None
        self._in_flight = self._uploader.submit(self._upload_part, pieces)

    def _wait(self) -> None:
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            in_flight.result()

    def _upload_part(self, pieces: list[bytes]) -> None:
        data = b"".join(pieces)
        checksum = self._record(data)
        number = len(self.parts)
        response = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data,
            ChecksumSHA256=checksum,
        )  # fmt: skip
        self.completed.append({"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": checksum})

    def close(self) -> Written:
        if self.upload_id is None:
            data = b"".join(self._take())
            checksum = self._record(data)
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=data, ChecksumSHA256=checksum, **self.encryption
            )
        else:
            if self.pending_bytes:
                self._submit(self._take())
            self._wait()
            self._shutdown()
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.completed}
            )
        return Written(parts=self.parts, size=self.size, sha256=self.whole.hexdigest())

    def _shutdown(self) -> None:
        if self._uploader is not None:
            self._uploader.shutdown(wait=True)
            self._uploader = None

    def abort(self) -> None:
        """Drop the unfinished upload's parts (the bucket's lifecycle rule is the backstop)."""
        if self.upload_id is not None:
            # The upload is being abandoned: the error of its last part is not the export's to report.
            with contextlib.suppress(Exception):
                self._wait()
            self._shutdown()
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            self.upload_id = None
