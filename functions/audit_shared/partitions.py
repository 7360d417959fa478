"""Where Firehose archives an event: the dynamic partition keys and the S3 prefix they expand to.

The transformation function returns the keys; Terraform's prefix template
(docs/design.md, "Firehose") turns them into ``data_prefix``; the proof look-up searches there.
"""

from __future__ import annotations

from typing import Any

from audit_shared.clock import utc_date_parts

# The order of the Hive-style path segments in the Firehose prefix.
PARTITION_FIELDS = ("initiatorsystemcode", "eventtype", "year", "month", "day")


def partition_keys(event: dict[str, Any]) -> dict[str, str]:
    """Keys for the Hive-style S3 prefix; the date is the event's own UTC date, zero-padded."""
    year, month, day = utc_date_parts(event["timestamp"])
    return {
        "initiatorsystemcode": event["initiatorsystemcode"],
        "eventtype": event["eventtype"],
        "year": year,
        "month": month,
        "day": day,
    }


def data_prefix(event: dict[str, Any]) -> str:
    keys = partition_keys(event)
    return "data/" + "".join(f"{name}={keys[name]}/" for name in PARTITION_FIELDS)
