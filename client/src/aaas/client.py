"""AuditClient: typed calls for every route of docs/openapi.yaml, with safe retries.

Every event gets a client-side UUIDv7 `eventid` before it is sent (unless it has one), so a retry
can never store it twice: the API answers a repeat with `"duplicate": true`. Only what the API marks
`"retryable": true`, and 429 throttling, is retried, with bounded exponential backoff and jitter.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import quote

import httpx
import orjson

from aaas.batching import MAX_BYTES, MAX_EVENTS, Batch, split
from aaas.errors import ApiError, AuditError, ExportFailed, TransportError, WaitTimeout
from aaas.models import Accepted, BatchResult, Event, Export, ItemResult, Proof, SearchPage
from audit_shared.ids import new_event_id
from audit_shared.retry import Backoff

USER_AGENT = "aaas-python/0.1"
TimeBound = int | str | datetime
# Retries: up to 6 attempts, the pause capped at 8 s (about 15 s of waiting at worst).
DEFAULT_BACKOFF = Backoff(attempts=6, base_seconds=0.25, cap_seconds=8.0)


def _bound(value: TimeBound) -> str:
    """Epoch milliseconds or ISO 8601, as GET /v1/events accepts them; an aware datetime goes as UTC ISO."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise AuditError(f"datetime {value.isoformat()} has no time zone; pass an aware datetime")
        return str(int(value.timestamp() * 1000))
    return str(value)


def _filters(
    initiatorsystemcode: str | None,
    requestorid: str | None,
    eventtype: str | None,
    requestorip: str | None,
    from_: TimeBound | None,
    to: TimeBound | None,
) -> dict[str, str]:
    """The filter fields search and exports share, named as the API names them; None means absent."""
    chosen = {
        "initiatorsystemcode": initiatorsystemcode,
        "requestorid": requestorid,
        "eventtype": eventtype,
        "requestorip": requestorip,
        "from": None if from_ is None else _bound(from_),
        "to": None if to is None else _bound(to),
    }
    return {name: value for name, value in chosen.items() if value is not None}


def _decode(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {"message": response.text[:300]}


def with_eventid(event: Event) -> Event:
    """A copy of the event carrying an eventid: the caller's, or a new UUIDv7."""
    if not isinstance(event, dict):
        raise AuditError(f"an event must be a JSON object, not {type(event).__name__}")
    return event if "eventid" in event else {**event, "eventid": new_event_id()}


def encode(event: Event) -> bytes:
    try:
        return orjson.dumps(event)
    except TypeError as exc:
        raise AuditError(f"event {event.get('eventid')} cannot be sent as JSON: {exc}") from exc


class AuditClient:
    """One API key against one deployment: `AuditClient(url, api_key)`; use it as a context manager."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        backoff: Backoff = DEFAULT_BACKOFF,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url or not api_key:
            raise AuditError("AuditClient needs the API URL and an API key")
        self.url = url.rstrip("/")
        self.backoff = backoff
        headers = {"x-api-key": api_key, "user-agent": USER_AGENT, "accept": "application/json"}
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, transport=transport)
        # Pre-signed export URLs must not receive the API key: a separate client without it.
        self._plain = httpx.Client(timeout=timeout, transport=transport, headers={"user-agent": USER_AGENT})

    def close(self) -> None:
        self._http.close()
        self._plain.close()

    def __enter__(self) -> AuditClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transport ------------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """One call, retried on 429 and on answers marked retryable; returns (status, decoded body)."""
        status, body = 0, None
        for attempt in self.backoff.pauses():
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise TransportError(f"cannot reach {self.url}{path}: {exc}") from exc
            status, body = response.status_code, _decode(response)
            retry = status == 429 or (status >= 400 and isinstance(body, dict) and body.get("retryable") is True)
            if not retry or attempt == self.backoff.attempts:
                break
        return status, body

    def _call(self, method: str, path: str, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        status, body = self._send(method, path, **kwargs)
        if status not in ok:
            raise ApiError(status, body, method, path)
        return body

    # -- writes ---------------------------------------------------------------------------------

    def post_event(self, event: Event) -> Accepted:
        """POST /v1/events. Raises ApiError (status, errorcode, errors) when the event is refused."""
        body = encode(with_eventid(event))
        headers = {"content-type": "application/json"}
        return cast(Accepted, self._call("POST", "/v1/events", (200, 201), content=body, headers=headers))

    def post_batch(self, events: list[Event]) -> BatchResult:
        """POST /v1/events/batch with at most 500 events; retries exactly the items marked retryable.

        The result's indexes are positions in `events`. An envelope the API refuses as a whole
        (not a BatchResult) raises ApiError.
        """
        if not 1 <= len(events) <= MAX_EVENTS:
            raise AuditError(f"a batch holds 1 to {MAX_EVENTS} events, not {len(events)}")
        prepared = [with_eventid(event) for event in events]
        batch = Batch(list(range(len(prepared))), [encode(event) for event in prepared])
        return self._post_split(batch)

    def _post_split(self, batch: Batch) -> BatchResult:
        successful: list[Any] = []
        failed: list[Any] = []
        pending = batch
        for attempt in self.backoff.pauses():
            status, body = self._send(
                "POST", "/v1/events/batch", content=pending.body(), headers={"content-type": "application/json"}
            )
            if not (isinstance(body, dict) and "successful" in body and "failed" in body):
                raise ApiError(status, body, "POST", "/v1/events/batch")
            for item in body["successful"]:
                successful.append({**item, "index": pending.positions[item["index"]]})
            retry = Batch([], [])
            for item in body["failed"]:
                if item.get("retryable") and attempt < self.backoff.attempts:
                    retry.positions.append(pending.positions[item["index"]])
                    retry.parts.append(pending.parts[item["index"]])
                else:
                    failed.append({**item, "index": pending.positions[item["index"]]})
            if not retry.parts:
                break
            pending = retry
        return {
            "successful": sorted(successful, key=lambda item: item["index"]),
            "failed": sorted(failed, key=lambda item: item["index"]),
        }

    def post_events(
        self,
        events: Iterable[Event],
        *,
        max_events: int = MAX_EVENTS,
        max_bytes: int = MAX_BYTES,
        on_batch: Callable[[int], None] | None = None,
    ) -> Iterator[ItemResult]:
        """Post any iterable (lazily) in <= 500-event, <= 4 MiB batches; one ItemResult per event, in order.

        `on_batch(count)` is called after each batch (for progress bars).
        """

        eventids: dict[int, str] = {}  # of the batch being built and sent: refusals name the id sent

        def encoded() -> Iterator[tuple[int, bytes]]:
            for position, event in enumerate(events):
                prepared = with_eventid(event)
                eventids[position] = prepared["eventid"]
                yield position, encode(prepared)

        for batch in split(encoded(), max_events, max_bytes):
            result = self._post_split(batch)
            items = [_accepted(item) for item in result["successful"]]
            items += [_refused(item, eventids.get(item["index"])) for item in result["failed"]]
            for position in batch.positions:
                eventids.pop(position, None)
            yield from sorted(items, key=lambda item: item.index)
            if on_batch is not None:
                on_batch(len(batch.parts))

    # -- reads ----------------------------------------------------------------------------------

    def get_event(self, eventid: str, initiatorsystemcode: str | None = None) -> Event:
        """GET /v1/events/{eventid}: the event as archived. 404 (ApiError) for an id this key may not read."""
        params = {"initiatorsystemcode": initiatorsystemcode} if initiatorsystemcode else None
        return cast(Event, self._call("GET", f"/v1/events/{quote(eventid, safe='')}", params=params))

    def get_proof(self, eventid: str, initiatorsystemcode: str | None = None) -> Proof:
        """GET /v1/events/{eventid}/proof; 409 NotSealedYet (ApiError) until the event's period is sealed."""
        params = {"initiatorsystemcode": initiatorsystemcode} if initiatorsystemcode else None
        return cast(Proof, self._call("GET", f"/v1/events/{quote(eventid, safe='')}/proof", params=params))

    def search(
        self,
        *,
        initiatorsystemcode: str | None = None,
        requestorid: str | None = None,
        eventtype: str | None = None,
        requestorip: str | None = None,
        from_: TimeBound | None = None,
        to: TimeBound | None = None,
        limit: int | None = None,
        order: Literal["asc", "desc"] | None = None,
        cursor: str | None = None,
    ) -> SearchPage:
        """GET /v1/events: one page. Pass the page's `next` as `cursor`, with the same filter."""
        params = _filters(initiatorsystemcode, requestorid, eventtype, requestorip, from_, to)
        for name, value in (("limit", limit), ("order", order), ("cursor", cursor)):
            if value is not None:
                params[name] = str(value)
        return cast(SearchPage, self._call("GET", "/v1/events", params=params))

    def iter_pages(self, **filters: Any) -> Iterator[SearchPage]:
        """Every page of a search, following `next` until it is null."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.search(**filters, cursor=cursor)
            yield page
            cursor = page["next"]
            if not cursor:
                return

    def iter_events(self, **filters: Any) -> Iterator[Event]:
        """Every matching event exactly once, in order (the filters of `search`)."""
        for page in self.iter_pages(**filters):
            yield from page["events"]

    # -- exports --------------------------------------------------------------------------------

    def create_export(
        self,
        *,
        format: Literal["ndjson", "csv"] = "ndjson",
        initiatorsystemcode: str | None = None,
        requestorid: str | None = None,
        eventtype: str | None = None,
        requestorip: str | None = None,
        from_: TimeBound | None = None,
        to: TimeBound | None = None,
    ) -> Export:
        """POST /v1/exports: 202 {"exportid", "status": "pending"}; the filters mean what search's mean."""
        body = {"format": format, **_filters(initiatorsystemcode, requestorid, eventtype, requestorip, from_, to)}
        headers = {"content-type": "application/json"}
        return cast(Export, self._call("POST", "/v1/exports", (202,), content=orjson.dumps(body), headers=headers))

    def get_export(self, exportid: str) -> Export:
        """GET /v1/exports/{exportid}; 404 (ApiError) for an unknown id or another client's export."""
        return cast(Export, self._call("GET", f"/v1/exports/{quote(exportid, safe='')}"))

    def wait_for_export(
        self,
        exportid: str,
        *,
        timeout: float = 900.0,
        interval: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> Export:
        """Poll until the export is ready (returned) or failed (ExportFailed); WaitTimeout after `timeout` s."""
        deadline = clock() + timeout
        while True:
            export = self.get_export(exportid)
            if export["status"] == "ready":
                return export
            if export["status"] == "failed":
                raise ExportFailed(dict(export))
            if clock() + interval > deadline:
                raise WaitTimeout(f"export {exportid} is still {export['status']} after {timeout:.0f} s")
            sleep(interval)

    def download_export(self, export: Export, data_path: Path, manifest_path: Path) -> tuple[Path, Path]:
        """Download a ready export's data and signed manifest from their pre-signed URLs (no API key sent)."""
        if export.get("status") != "ready" or "url" not in export or "manifesturl" not in export:
            raise AuditError(f"export {export.get('exportid')} is {export.get('status')}, not ready to download")
        self._download(export["url"], data_path)
        self._download(export["manifesturl"], manifest_path)
        return data_path, manifest_path

    def _download(self, url: str, target: Path) -> None:
        partial = target.with_name(f"{target.name}.part")
        try:
            with self._plain.stream("GET", url) as response:
                if response.status_code != 200:
                    response.read()
                    raise ApiError(response.status_code, _decode(response), "GET", url.split("?", 1)[0])
                with partial.open("wb") as file:
                    for chunk in response.iter_bytes():
                        file.write(chunk)
        except httpx.HTTPError as exc:
            raise TransportError(f"cannot download {url.split('?', 1)[0]}: {exc}") from exc
        except OSError as exc:
            raise AuditError(f"cannot write {target}: {exc.strerror}") from exc
        partial.replace(target)  # never leave a truncated file under the final name

    def export(
        self,
        data_path: Path,
        manifest_path: Path,
        *,
        timeout: float = 900.0,
        interval: float = 2.0,
        **filters: Any,
    ) -> Export:
        """create_export, wait_for_export, download_export: the whole round trip."""
        created = self.create_export(**filters)
        ready = self.wait_for_export(created["exportid"], timeout=timeout, interval=interval)
        self.download_export(ready, data_path, manifest_path)
        return ready


def _accepted(item: dict[str, Any]) -> ItemResult:
    return ItemResult(
        index=item["index"],
        eventid=item["eventid"],
        status=200 if item.get("duplicate") else 201,
        duplicate=bool(item.get("duplicate")),
        receivedat=item.get("receivedat"),
    )


def _refused(item: dict[str, Any], sent_eventid: str | None) -> ItemResult:
    return ItemResult(
        index=item["index"],
        eventid=item.get("eventid") or sent_eventid,
        status=int(item.get("status", 0)),
        errorcode=item.get("errorcode"),
        message=item.get("message"),
        retryable=bool(item.get("retryable")),
        errors=list(item.get("errors") or []),
    )
