"""The query parameters of the read API, checked all at once so every problem is reported together."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from audit_shared.access import ClientAccess
from audit_shared.index import FILTER_INDEXES, filter_value
from audit_shared.schema import event_types
from audit_shared.validation import FieldError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_TIMESTAMP_MS = 10**13 - 1  # the index pads timestamps to 13 digits
MAX_VALUE_LENGTH = 256
MAX_CURSOR_LENGTH = 2048
ORDERS = ("desc", "asc")
SEARCH_PARAMETERS = frozenset({*FILTER_INDEXES, "initiatorsystemcode", "from", "to", "limit", "order", "cursor"})
GET_PARAMETERS = frozenset({"initiatorsystemcode"})
_DIGITS = re.compile(r"[0-9]{1,16}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class QueryError(Exception):
    """A request the read API refuses: 400 with every problem listed, or 403."""

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
class SearchQuery:
    initiator: str
    field: str | None  # requestorid, eventtype or requestorip; None lists the initiator's events
    value: str | None
    from_ms: int
    to_ms: int
    order: str
    limit: int
    cursor: str | None

    def filter_digest(self) -> str:
        """What a cursor is bound to: everything but the page size and the cursor itself."""
        bound = [self.initiator, self.field, self.value, self.from_ms, self.to_ms, self.order]
        return hashlib.sha256(json.dumps(bound, separators=(",", ":")).encode()).hexdigest()[:32]


def _single_values(
    params: Mapping[str, Sequence[str]], allowed: frozenset[str]
) -> tuple[dict[str, str], list[FieldError]]:
    errors = [FieldError(name, "is not a known query parameter") for name in sorted(set(params) - allowed)]
    values = {}
    for name in sorted(set(params) & allowed):
        given = params[name]
        if len(given) != 1:
            errors.append(FieldError(name, "must be given once"))
        elif not given[0]:
            errors.append(FieldError(name, "must not be empty"))
        elif len(given[0]) > (limit := MAX_CURSOR_LENGTH if name == "cursor" else MAX_VALUE_LENGTH):
            errors.append(FieldError(name, f"must be at most {limit} characters"))
        else:
            values[name] = given[0]
    return values, errors


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


def _initiator(values: dict[str, str], access: ClientAccess, errors: list[FieldError]) -> str | None:
    readable = sorted(access.read_initiators)
    if "initiatorsystemcode" in values:
        return values["initiatorsystemcode"]
    if len(readable) == 1:
        return readable[0]
    errors.append(FieldError("initiatorsystemcode", f"is required: this API key reads {', '.join(readable)}"))
    return None


def require_readable(initiator: str, access: ClientAccess) -> None:
    if not access.may_read(initiator):
        message = f"this API key may not read events of initiator system {initiator!r}"
        raise QueryError(403, "Forbidden", message, [FieldError("initiatorsystemcode", message)])


def parse_search(params: Mapping[str, Sequence[str]], access: ClientAccess) -> SearchQuery:
    values, errors = _single_values(params, SEARCH_PARAMETERS)
    filters = [name for name in FILTER_INDEXES if name in values]
    if len(filters) > 1:
        errors.append(FieldError(",".join(filters), "at most one of requestorid, eventtype, requestorip may be given"))
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
    limit = DEFAULT_LIMIT
    if "limit" in values:
        if _DIGITS.fullmatch(values["limit"]) and 1 <= int(values["limit"]) <= MAX_LIMIT:
            limit = int(values["limit"])
        else:
            errors.append(FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}"))
    order = values.get("order", "desc")
    if order not in ORDERS:
        errors.append(FieldError("order", "must be 'desc' or 'asc'"))
    initiator = _initiator(values, access, errors)
    if errors:
        raise QueryError(400, "InvalidQuery", "query parameters are invalid", errors)
    assert initiator is not None  # _initiator reported an error otherwise
    require_readable(initiator, access)
    field = filters[0] if filters else None
    return SearchQuery(
        initiator=initiator,
        field=field,
        value=filter_value(field, values[field]) if field else None,
        from_ms=from_ms,
        to_ms=to_ms,
        order=order,
        limit=limit,
        cursor=values.get("cursor"),
    )


def parse_get(eventid: str, params: Mapping[str, Sequence[str]], access: ClientAccess) -> tuple[str, list[str]]:
    """The event id (as the client spelled it when posting) and the initiators to look it up under."""
    values, errors = _single_values(params, GET_PARAMETERS)
    if not _UUID.fullmatch(eventid.lower()):
        errors.append(FieldError("eventid", "must be a UUID"))
    if errors:
        raise QueryError(400, "InvalidQuery", "request is invalid", errors)
    if "initiatorsystemcode" in values:
        require_readable(values["initiatorsystemcode"], access)
        return eventid, [values["initiatorsystemcode"]]
    return eventid, sorted(access.read_initiators)
