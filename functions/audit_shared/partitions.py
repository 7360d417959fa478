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


DATA_PREFIX = "data/"
DATE_FIELDS = PARTITION_FIELDS[2:]  # year, month, day


def partition_prefix(values: tuple[str, ...]) -> str:
    """The S3 prefix of the first len(values) partition fields: ("CRM_WEB",) -> data/initiatorsystemcode=CRM_WEB/."""
    return DATA_PREFIX + "".join(f"{name}={value}/" for name, value in zip(PARTITION_FIELDS, values, strict=False))


def partition_value(prefix: str) -> str:
    """The value of a prefix's last segment: .../year=2026/ -> 2026."""
    return prefix.rstrip("/").rpartition("=")[2]


def date_in_range(parts: tuple[str, ...], first: tuple[str, str, str], last: tuple[str, str, str]) -> bool:
    """Whether a partial (year[, month[, day]]) partition can hold a day from first to last (zero-padded)."""
    depth = len(parts)
    return first[:depth] <= parts <= last[:depth]
