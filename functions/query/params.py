"""The query parameters of the read API, checked all at once so every problem is reported together.

The filter itself (initiator, requestorid, eventtype, requestorip, from, to) is audit_shared.filters,
shared with exports; this module adds paging (limit, order, cursor) and the get-by-id parameters.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from audit_shared.access import ClientAccess
from audit_shared.filters import MAX_TIMESTAMP_MS, RequestError, parse_filter, require_readable, single_values
from audit_shared.index import FILTER_INDEXES
from audit_shared.validation import FieldError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_CURSOR_LENGTH = 2048
ORDERS = ("desc", "asc")
SEARCH_PARAMETERS = frozenset({*FILTER_INDEXES, "initiatorsystemcode", "from", "to", "limit", "order", "cursor"})
GET_PARAMETERS = frozenset({"initiatorsystemcode"})
_DIGITS = re.compile(r"[0-9]{1,16}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
__all__ = ["MAX_TIMESTAMP_MS", "QueryError", "SearchQuery", "parse_get", "parse_search"]

# The read API's refusals are the shared request errors (exports answer with the same shapes).
QueryError = RequestError


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


def parse_search(params: Mapping[str, Sequence[str]], access: ClientAccess) -> SearchQuery:
    values, errors = single_values(params, SEARCH_PARAMETERS, {"cursor": MAX_CURSOR_LENGTH})
    selected = parse_filter(values, access, errors, one_field_filter=True, paging=_paging_errors(values))
    if errors:
        raise QueryError(400, "InvalidQuery", "query parameters are invalid", errors)
    assert selected is not None  # parse_filter reported an error otherwise
    require_readable(selected.initiator, access)
    field = next((name for name in FILTER_INDEXES if getattr(selected, name) is not None), None)
    return SearchQuery(
        initiator=selected.initiator,
        field=field,
        value=getattr(selected, field) if field else None,
        from_ms=selected.from_ms,
        to_ms=selected.to_ms,
        order=values.get("order", "desc"),
        limit=int(values.get("limit", DEFAULT_LIMIT)),
        cursor=values.get("cursor"),
    )


def _paging_errors(values: Mapping[str, str]) -> list[FieldError]:
    errors = []
    if "limit" in values and not (_DIGITS.fullmatch(values["limit"]) and 1 <= int(values["limit"]) <= MAX_LIMIT):
        errors.append(FieldError("limit", f"must be an integer from 1 to {MAX_LIMIT}"))
    if values.get("order", "desc") not in ORDERS:
        errors.append(FieldError("order", "must be 'desc' or 'asc'"))
    return errors


def parse_get(eventid: str, params: Mapping[str, Sequence[str]], access: ClientAccess) -> tuple[str, list[str]]:
    """The event id (as the client spelled it when posting) and the initiators to look it up under."""
    values, errors = single_values(params, GET_PARAMETERS)
    if not _UUID.fullmatch(eventid.lower()):
        errors.append(FieldError("eventid", "must be a UUID"))
    if errors:
        raise QueryError(400, "InvalidQuery", "request is invalid", errors)
    if "initiatorsystemcode" in values:
        require_readable(values["initiatorsystemcode"], access)
        return eventid, [values["initiatorsystemcode"]]
    return eventid, sorted(access.read_initiators)
