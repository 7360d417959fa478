"""Reading one archived object version, for sealing and for proofs."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from audit_shared.digests import SealedObject, missing_object, seal_object
from audit_shared.ledger import LedgerObject

# The version is gone (deleted before the seal ran): sealed as missing so the gap stays on record.
_GONE = frozenset({"NoSuchKey", "NoSuchVersion", "404"})


def version_args(versionid: str) -> dict[str, str]:
    """S3 names the only version of an object in an unversioned bucket "null"; it takes no VersionId."""
    return {} if versionid == "null" else {"VersionId": versionid}


def read_object(client: Any, bucket: str, item: LedgerObject) -> tuple[SealedObject, list[bytes]]:
    """The digest entry and leaf hashes of one recorded object version; other S3 errors propagate."""
    try:
        raw = client.get_object(Bucket=bucket, Key=item.key, **version_args(item.versionid))["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _GONE:
            return missing_object(item.key, item.versionid, item.size, f"{code} when sealing"), []
        raise
    return seal_object(item.key, item.versionid, raw)
