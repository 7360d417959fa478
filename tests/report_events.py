"""A known set of events and the exact answer of every report over it (unit tests and e2e alike).

The events span two UTC days from ``base_ms`` (a midnight) under two initiators, with requestor ids
made unique by ``tag``. The expected rows are written out by hand, not computed by report code.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from audit_shared.clock import utc_date_parts

HOUR = 3_600_000
DAY = 24 * HOUR
A, B = "CRM_WEB", "CRM_MBL"


def _day(millis: int) -> str:
    return "-".join(utc_date_parts(millis))


def known_events(examples: dict[str, dict[str, Any]], base_ms: int, tag: str) -> list[dict[str, Any]]:
    """Client events (not enriched), each with its own eventid."""

    def event(eventtype: str, initiator: str, requestor: str, at_ms: int, **fields: Any) -> dict[str, Any]:
        raw = copy.deepcopy(examples[eventtype])
        raw.pop("relatedeventid", None)
        raw.update(initiatorsystemcode=initiator, requestorid=f"{tag}-{requestor}", timestamp=at_ms,
                   eventid=str(uuid.uuid4()), **fields)  # fmt: skip
        return raw

    day1, day2 = base_ms, base_ms + DAY
    where = {
        "berlin": {"country": "DE", "region": "Berlin", "city": "Berlin"},
        "paris": {"country": "FR", "region": "Ile-de-France", "city": "Paris"},
        "lisbon": {"country": "PT", "region": "Lisboa", "city": "Lisbon"},
        "madrid": {"country": "ES", "region": "Madrid", "city": "Madrid"},
        "rome": {"country": "IT", "region": "Lazio", "city": "Rome"},
    }
    return [
        # failed logins: r1 3x on day 1 and once on day 2, r2 twice on day 1 (A); r1 once on day 1 (B)
        *(event("LOGIN_FAILED", A, "r1", day1 + HOUR * (1 + n)) for n in range(3)),
        event("LOGIN_FAILED", A, "r1", day2 + HOUR),
        *(event("LOGIN_FAILED", A, "r2", day1 + HOUR * (5 + n)) for n in range(2)),
        event("LOGIN_FAILED", B, "r1", day1 + HOUR * 2),
        # privilege escalations: two under A, one under B
        event("USER_ACCOUNT_PRIVILEGES_ESCALATED", A, "admin", day1 + HOUR * 9, affecteduserid=f"{tag}-r1",
              rolename="global-admin"),
        event("USER_ACCOUNT_PRIVILEGES_ESCALATED", A, "admin", day2 + HOUR * 3, affecteduserid=f"{tag}-r2",
              rolename="auditor"),
        event("USER_ACCOUNT_PRIVILEGES_ESCALATED", B, "admin", day2 + HOUR * 4, affecteduserid=f"{tag}-r3",
              rolename="support"),
        # document downloads: r1 doc-1 twice and doc-2 once, r2 doc-1 once (A)
        event("DOCUMENT_DOWNLOADED", A, "r1", day1 + HOUR * 10, documentid="doc-1"),
        event("DOCUMENT_DOWNLOADED", A, "r1", day2 + HOUR * 10, documentid="doc-1"),
        event("DOCUMENT_DOWNLOADED", A, "r1", day2 + HOUR * 11, documentid="doc-2"),
        event("DOCUMENT_DOWNLOADED", A, "r2", day1 + HOUR * 12, documentid="doc-1"),
        # logins: r1 Berlin, Berlin, then Paris (new); r2 Lisbon only; r3 Madrid, Rome (new), Madrid (A)
        event("LOGIN_SUCCESSFUL", A, "r1", day1 + HOUR * 13, location=where["berlin"]),
        event("LOGIN_SUCCESSFUL", A, "r1", day1 + HOUR * 14, location=where["berlin"]),
        event("LOGIN_SUCCESSFUL", A, "r1", day2 + HOUR * 13, location=where["paris"]),
        event("LOGIN_SUCCESSFUL", A, "r2", day1 + HOUR * 15, location=where["lisbon"]),
        event("LOGIN_SUCCESSFUL", A, "r3", day1 + HOUR * 16, location=where["madrid"]),
        event("LOGIN_SUCCESSFUL", A, "r3", day2 + HOUR * 16, location=where["rome"]),
        event("LOGIN_SUCCESSFUL", A, "r3", day2 + HOUR * 17, location=where["madrid"]),
    ]  # fmt: skip


def expected(base_ms: int, tag: str) -> dict[str, list[tuple[Any, ...]]]:
    """Report name -> its rows over the known set (the columns each test compares are noted)."""
    day1, day2 = _day(base_ms), _day(base_ms + DAY)
    return {
        # event_day, initiatorsystemcode, requestorid, failed_logins
        "failed_logins_per_requestor_per_day": [
            (day1, A, f"{tag}-r1", 3),
            (day1, A, f"{tag}-r2", 2),
            (day1, B, f"{tag}-r1", 1),
            (day2, A, f"{tag}-r1", 1),
        ],
        # initiatorsystemcode, requestorid, affecteduserid, rolename (oldest first)
        "privilege_escalations": [
            (A, f"{tag}-admin", f"{tag}-r1", "global-admin"),
            (A, f"{tag}-admin", f"{tag}-r2", "auditor"),
            (B, f"{tag}-admin", f"{tag}-r3", "support"),
        ],
        # initiatorsystemcode, requestorid, downloads, documents
        "document_downloads_by_requestor": [(A, f"{tag}-r1", 3, 2), (A, f"{tag}-r2", 1, 1)],
        # initiatorsystemcode, requestorid, country, region, city
        "logins_from_new_locations": [
            (A, f"{tag}-r1", "FR", "Ile-de-France", "Paris"),
            (A, f"{tag}-r3", "IT", "Lazio", "Rome"),
        ],
        # initiatorsystemcode, event_day, events
        "events_per_initiator_per_day": [(B, day1, 1), (B, day2, 1), (A, day1, 12), (A, day2, 7)],
    }


# The columns of each report that `expected` lists, in its order.
COMPARED = {
    "failed_logins_per_requestor_per_day": ("event_day", "initiatorsystemcode", "requestorid", "failed_logins"),
    "privilege_escalations": ("initiatorsystemcode", "requestorid", "affecteduserid", "rolename"),
    "document_downloads_by_requestor": ("initiatorsystemcode", "requestorid", "downloads", "documents"),
    "logins_from_new_locations": ("initiatorsystemcode", "requestorid", "country", "region", "city"),
    "events_per_initiator_per_day": ("initiatorsystemcode", "event_day", "events"),
}


def compared(columns: list[str], rows: list[tuple[Any, ...]], report: str) -> list[tuple[Any, ...]]:
    positions = [columns.index(name) for name in COMPARED[report]]
    return [tuple(row[i] for i in positions) for row in rows]
