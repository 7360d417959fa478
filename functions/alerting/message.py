"""What a subscriber receives for one alert: SNS Subject, JSON body and filterable attributes.

Subjects (SNS allows at most 100 printable ASCII characters), each naming the alert's initiator:
  threshold     [Audit alert] <INITIATOR>: <rule>: <count> <EVENTTYPE> for requestor|IP <value> in <W> min
  always_alert  [Audit alert] <INITIATOR>: <EVENTTYPE> for requestor <value>            (one event)
                [Audit alert] <INITIATOR>: <count> <EVENTTYPE> for requestor <value>    (several)
  watchlist     [Audit alert] <INITIATOR>: watchlist: <EVENTTYPE> for requestor|IP <value>
                [Audit alert] <INITIATOR>: watchlist: <count> <EVENTTYPE> for ...       (several of one type)
                [Audit alert] <INITIATOR>: watchlist: <count> events for ...            (several types)
"""

from __future__ import annotations

import re
from typing import Any

from alerting.rules import Alert
from audit_shared import jsonio
from audit_shared.clock import iso_utc

SUBJECT_PREFIX = "[Audit alert] "
MAX_SUBJECT_CHARS = 100
# SNS caps a message at 256 KiB; a flood from one watched IP must not make the alert unsendable.
MAX_LISTED_EVENT_IDS = 1000
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
_SUBJECT_NOUNS = {"requestorid": "requestor", "requestorip": "IP"}


def _counted(alert: Alert) -> str:
    count = len(alert.events)
    what = alert.eventtype or "events"
    return what if count == 1 and alert.eventtype else f"{count} {what}"


def subject(alert: Alert) -> str:
    target = f"for {_SUBJECT_NOUNS[alert.subject_type]} {alert.subject_value}"
    if alert.ruletype == "threshold":
        text = f"{alert.rule}: {len(alert.events)} {alert.eventtype} {target} in {alert.window_minutes} min"
    elif alert.ruletype == "watchlist":
        text = f"{alert.rule}: {_counted(alert)} {target}"
    else:
        text = f"{_counted(alert)} {target}"
    # Requestor ids are client data: anything SNS would refuse in a Subject becomes '?'.
    text = _NOT_PRINTABLE_ASCII.sub("?", f"{SUBJECT_PREFIX}{alert.initiator}: {text}")
    return text if len(text) <= MAX_SUBJECT_CHARS else text[: MAX_SUBJECT_CHARS - 3] + "..."


def body(alert: Alert, detected_ms: int, bucket: str, key: str) -> dict[str, Any]:
    event_ids = sorted(event.eventid for event in alert.events)
    document: dict[str, Any] = {
        "rule": alert.rule,
        "ruletype": alert.ruletype,
        "subject": {"type": alert.subject_type, "value": alert.subject_value},
        "eventtype": alert.eventtype,
        "eventtypes": alert.eventtypes,
        "eventids": event_ids[:MAX_LISTED_EVENT_IDS],
        "count": len(alert.events),
        "window": {"start": iso_utc(alert.window_start_ms), "end": iso_utc(alert.window_end_ms)},
        "initiatorsystemcode": alert.initiator,
        "detectedat": iso_utc(detected_ms),
        "source": {"bucket": bucket, "key": key},
    }
    if len(event_ids) > MAX_LISTED_EVENT_IDS:
        document["eventidsomitted"] = len(event_ids) - MAX_LISTED_EVENT_IDS
    return document


def body_json(alert: Alert, detected_ms: int, bucket: str, key: str) -> str:
    return jsonio.canonical_text(body(alert, detected_ms, bucket, key))


def attributes(alert: Alert) -> dict[str, dict[str, str]]:
    """SNS MessageAttributes, for subscription filter policies."""
    values = {
        "initiatorsystemcode": alert.initiator,
        "rule": alert.rule,
        "ruletype": alert.ruletype,
        "eventtype": alert.eventtype,
    }
    return {name: {"DataType": "String", "StringValue": value} for name, value in values.items() if value}
