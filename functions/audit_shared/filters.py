"""The event filter of the read API and of exports: one validation, one meaning.

``GET /v1/events`` (query parameters) and ``POST /v1/exports`` (a JSON body) take the same filters:
``initiatorsystemcode``, ``requestorid``, ``eventtype``, ``requestorip`` and the inclusive ``from``/``to``
bounds on the event timestamp. Both check them here, every problem at once, tenant-scoped the same way,
and an export keeps exactly the archived events ``EventFilter.matches``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit_shared.access import ClientAccess
from audit_shared.index import FILTER_INDEXES, filter_value
from audit_shared.schema import event_types
from audit_shared.validation import FieldError

MAX_TIMESTAMP_MS = 10**13 - 1  # the index pads timestamps to 13 digits
MAX_VALUE_LENGTH = 256
FILTER_FIELDS = tuple(FILTER_INDEXES)  # requestorid, eventtype, requestorip
_DIGITS = re.compile(r"[0-9]{1,16}")


class RequestError(Exception):
    """A request the API refuses: 400 with every problem listed, 403, or 404."""

    def __init__(self, status: int, errorcode: str, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.errorcode = errorcode
        self.message = message
        self.errors = tuple(errors)

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"errorcode": self.errorcode, "message": self.message}
        if self.errors:
            body["errors"] = [error.to_dict() for error in self.errors]
        return body


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events of one initiator: optional field filters and an inclusive timestamp range (epoch ms)."""

    initiator: str
    requestorid: str | None = None
    eventtype: str | None = None
    requestorip: str | None = None  # canonical spelling (audit_shared.index.canonical_ip)
    from_ms: int = 0
    to_ms: int = MAX_TIMESTAMP_MS

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Exactly what the search's index look-up selects for the same filter."""
        return (
            event.get("initiatorsystemcode") == self.initiator
            and (self.eventtype is None or event.get("eventtype") == self.eventtype)
            and (self.requestorid is None or event.get("requestorid") == self.requestorid)
            and (
                self.requestorip is None
                or filter_value("requestorip", str(event.get("requestorip"))) == self.requestorip
            )
            and self.from_ms <= event.get("timestamp", -1) <= self.to_ms
        )

    def to_dict(self) -> dict[str, Any]:
        """The filter as exports record and show it: the fields given, and both time bounds."""
        document: dict[str, Any] = {"initiatorsystemcode": self.initiator}
        for name in FILTER_FIELDS:
            if getattr(self, name) is not None:
                document[name] = getattr(self, name)
        document["from"] = self.from_ms
        document["to"] = self.to_ms
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> EventFilter:
        return cls(
            initiator=document["initiatorsystemcode"],
            requestorid=document.get("requestorid"),
            eventtype=document.get("eventtype"),
            requestorip=document.get("requestorip"),
            from_ms=int(document["from"]),
            to_ms=int(document["to"]),
        )


def parse_time(value: str) -> int:
    """Epoch milliseconds, or ISO 8601 (a time without offset is UTC); raises ValueError."""
    if _DIGITS.fullmatch(value):
        millis = int(value)
    else:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        millis = int(moment.timestamp() * 1000)
    if not 0 <= millis <= MAX_TIMESTAMP_MS:
        raise ValueError("out of range")
    return millis


def single_values(
    params: Mapping[str, Sequence[str]], allowed: frozenset[str], max_lengths: Mapping[str, int] | None = None
) -> tuple[dict[str, str], list[FieldError]]:
    """One non-empty value per known parameter; every unknown, repeated, empty or too long one is an error."""
    errors = [FieldError(name, "is not a known query parameter") for name in sorted(set(params) - allowed)]
    values = {}
    for name in sorted(set(params) & allowed):
        given = params[name]
        limit = (max_lengths or {}).get(name, MAX_VALUE_LENGTH)
        if len(given) != 1:
            errors.append(FieldError(name, "must be given once"))
        elif not given[0]:
            errors.append(FieldError(name, "must not be empty"))
        elif len(given[0]) > limit:
            errors.append(FieldError(name, f"must be at most {limit} characters"))
        else:
            values[name] = given[0]
    return values, errors


def require_readable(initiator: str, access: ClientAccess) -> None:
    if not access.may_read(initiator):
        message = f"this API key may not read events of initiator system {initiator!r}"
        raise RequestError(403, "Forbidden", message, [FieldError("initiatorsystemcode", message)])


def _initiator(values: Mapping[str, str], access: ClientAccess, errors: list[FieldError]) -> str | None:
    if "initiatorsystemcode" in values:
        return values["initiatorsystemcode"]
    readable = sorted(access.read_initiators)
    if len(readable) == 1:
        return readable[0]
    errors.append(FieldError("initiatorsystemcode", f"is required: this API key reads {', '.join(readable)}"))
    return None


def parse_filter(
    values: Mapping[str, str],
    access: ClientAccess,
    errors: list[FieldError],
    *,
    one_field_filter: bool,
    paging: Sequence[FieldError] = (),
) -> EventFilter | None:
    """The filter of already single-valued parameters; problems are appended to ``errors``.

    ``one_field_filter``: the search serves at most one of requestorid, eventtype, requestorip (one
    index per query); an export scans the archive and may combine them. Returns None when there are
    errors. ``paging`` are the caller's own parameter errors, listed before the initiator's. The
    initiator's readability is checked by ``require_readable`` after the 400s, so a
    malformed request is a 400 whatever its initiator.
    """
    given = [name for name in FILTER_FIELDS if name in values]
    if one_field_filter and len(given) > 1:
        errors.append(FieldError(",".join(given), "at most one of requestorid, eventtype, requestorip may be given"))
    if "eventtype" in values and values["eventtype"] not in event_types():
        errors.append(FieldError("eventtype", "must be one of the catalog's event types"))
    times = {}
    for name in ("from", "to"):
        if name in values:
            try:
                times[name] = parse_time(values[name])
            except ValueError:
                errors.append(FieldError(name, "must be epoch milliseconds or an ISO 8601 date-time"))
    from_ms, to_ms = times.get("from", 0), times.get("to", MAX_TIMESTAMP_MS)
    if from_ms > to_ms:
        errors.append(FieldError("from", "must not be after 'to'"))
    errors.extend(paging)
    initiator = _initiator(values, access, errors)
    if errors or initiator is None:
        return None
    return EventFilter(
        initiator=initiator,
        requestorid=values.get("requestorid"),
        eventtype=values.get("eventtype"),
        requestorip=filter_value("requestorip", values["requestorip"]) if "requestorip" in values else None,
        from_ms=from_ms,
        to_ms=to_ms,
    )
