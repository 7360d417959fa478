"""The shapes the API answers with (docs/openapi.yaml), as TypedDicts for type checkers and editors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

Event = dict[str, Any]


class FieldError(TypedDict):
    field: str
    message: str


class Accepted(TypedDict):
    eventid: str
    receivedat: str
    duplicate: bool
    index: NotRequired[int]


class Refused(TypedDict):
    index: int
    status: int
    errorcode: str
    message: str
    retryable: bool
    eventid: NotRequired[str]
    errors: NotRequired[list[FieldError]]


class BatchResult(TypedDict):
    successful: list[Accepted]
    failed: list[Refused]


class SearchPage(TypedDict):
    events: list[Event]
    next: str | None


class ProofObject(TypedDict):
    key: str
    versionid: str
    line: int


class Proof(TypedDict):
    format: Literal["aaas-proof/1"]
    eventid: str
    leafindex: int
    treesize: int
    auditpath: list[str]
    object: ProofObject
    digestkey: str
    digest: str
    signature: str


class Export(TypedDict):
    """GET /v1/exports/{exportid}: url, manifesturl, rowcount and expiresat once ready; error once failed."""

    exportid: str
    status: Literal["pending", "ready", "failed"]
    format: NotRequired[str]
    filter: NotRequired[dict[str, Any]]
    createdat: NotRequired[str]
    rowcount: NotRequired[int]
    url: NotRequired[str]
    manifesturl: NotRequired[str]
    expiresat: NotRequired[str]
    error: NotRequired[str]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """What happened to one event of post_events: stored (or already stored), or refused and why."""

    index: int  # position in the iterable given to post_events
    eventid: str | None
    status: int
    duplicate: bool = False
    receivedat: str | None = None
    errorcode: str | None = None
    message: str | None = None
    retryable: bool = False
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in (200, 201)

    def describe(self) -> str:
        """One line: the event id, or the errorcode and every listed problem."""
        if self.ok:
            return f"{self.eventid} ({'duplicate' if self.duplicate else 'stored'})"
        problems = "; ".join(f"{item.get('field') or '(event)'}: {item.get('message')}" for item in self.errors)
        return f"{self.errorcode or 'Error'} ({self.status}): {problems or self.message}"
