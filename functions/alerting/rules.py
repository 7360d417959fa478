"""The alert rules: parsing the ALERT_RULES document and evaluating it against events.

Three kinds of rule (docs/design.md, "Alert rules document"):

Every alert belongs to one initiator (tenant): events are grouped, counted and deduplicated per
``initiatorsystemcode``, so one client's events can neither raise nor suppress another's alerts. Alert
windows run on the events' server receive time (``receivedat``), never on the client ``timestamp``.

* always_alert: every event of a listed type alerts. Subject: the event's requestorid; the rule name
  is ``always-alert:<EVENTTYPE>``, so each type is deduplicated separately per requestor.
* thresholds: at least ``count`` events of ``event_type`` for one subject (requestorid or requestorip)
  within ``window_minutes``. Counted over the DynamoDB index (earlier batches) plus the object being
  processed (events not yet indexed). Subject: the group_by value, the rule name is the configured name.
* watchlist: any event from a listed requestorid or requestorip. Subject: the matched id or IP (IPs in
  canonical form); the rule name is ``watchlist``.

Every alert carries a trigger time and a dedupe window end; the notifier sends an alert only when no
alert of the same initiator, rule and subject has a window end at or after the trigger (see notifier.py).
Evaluation functions are pure: the index look-up is passed in.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from alerting.events import AuditEvent
from audit_shared.config import ConfigurationError
from audit_shared.index import canonical_ip
from audit_shared.schema import event_types

DEFAULT_ALWAYS_ALERT_TYPES: tuple[str, ...] = (
    "ACCOUNT_LOCKOUT",
    "MULTIPLE_LOGIN_FAILED",
    "UNUSUAL_LOGIN_LOCATION",
    "USER_ACCOUNT_PRIVILEGES_ESCALATED",
    "DOCUMENT_INTEGRITY_FAILED",
)
DEFAULT_DEDUPE_WINDOW_MINUTES = 60
MILLIS_PER_MINUTE = 60_000

RuleType = Literal["always_alert", "threshold", "watchlist"]
SubjectType = Literal["requestorid", "requestorip"]
GROUP_BY_VALUES: tuple[SubjectType, ...] = ("requestorid", "requestorip")
WATCHLIST_RULE = "watchlist"
ALWAYS_ALERT_RULE_PREFIX = "always-alert:"

# Rule names end up in dedupe keys, SNS subjects and message attributes: keep them short and plain.
# No ':' so that no threshold can collide with an always-alert rule name.
_RULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TOP_LEVEL_KEYS = frozenset({"always_alert", "thresholds", "watchlist", "dedupe_window_minutes"})
_THRESHOLD_KEYS = frozenset({"name", "event_type", "group_by", "count", "window_minutes"})
_WATCHLIST_KEYS = frozenset({"requestorids", "requestorips"})


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    name: str
    event_type: str
    group_by: SubjectType
    count: int
    window_minutes: int

    @property
    def window_ms(self) -> int:
        return self.window_minutes * MILLIS_PER_MINUTE


@dataclass(frozen=True, slots=True)
class AlertRules:
    always_alert_types: frozenset[str]
    thresholds: tuple[ThresholdRule, ...]
    watched_requestorids: frozenset[str]
    watched_requestorips: frozenset[str]  # canonical form, see canonical_ip()
    dedupe_window_minutes: int = DEFAULT_DEDUPE_WINDOW_MINUTES

    @property
    def dedupe_window_ms(self) -> int:
        return self.dedupe_window_minutes * MILLIS_PER_MINUTE

    def is_relevant(self, event: AuditEvent) -> bool:
        """Could any rule fire on this event? The reader keeps only these, which bounds memory."""
        return (
            event.eventtype in self.always_alert_types
            or any(rule.event_type == event.eventtype for rule in self.thresholds)
            or event.requestorid in self.watched_requestorids
            # Parsing an address costs more than the rest together; skip it when no IP is watched.
            or bool(self.watched_requestorips and canonical_ip(event.requestorip) in self.watched_requestorips)
        )


@dataclass(frozen=True, slots=True)
class Alert:
    initiator: str  # the initiatorsystemcode every event of the alert has
    rule: str
    ruletype: RuleType
    subject_type: SubjectType
    subject_value: str
    events: tuple[AuditEvent, ...]
    trigger_ms: int  # receive time (server) of the event that made the rule fire
    window_start_ms: int
    window_end_ms: int
    window_minutes: int
    dedupe_until_ms: int  # no further alert for this initiator, rule and subject up to this time (server time)

    @property
    def eventtypes(self) -> list[str]:
        return sorted({event.eventtype for event in self.events})

    @property
    def eventtype(self) -> str | None:
        """The event type when every listed event has the same one (a watchlist alert may mix types)."""
        types = self.eventtypes
        return types[0] if len(types) == 1 else None


# --- parsing -------------------------------------------------------------------------------------


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _unknown_keys(where: str, value: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    return [f"{where}: unknown key {key!r}" for key in sorted(set(value) - allowed)]


class _Parser:
    """Collects every problem of the document so that one failed deployment shows them all."""

    def __init__(self, known_event_types: frozenset[str]) -> None:
        self.known_event_types = known_event_types
        self.problems: list[str] = []

    def event_type(self, where: str, value: Any) -> bool:
        if not isinstance(value, str) or value not in self.known_event_types:
            self.problems.append(f"{where}: {value!r} is not a known event type")
            return False
        return True

    def always_alert(self, value: Any) -> frozenset[str]:
        if value is None:
            return frozenset(DEFAULT_ALWAYS_ALERT_TYPES)
        if not isinstance(value, dict):
            self.problems.append("always_alert: must be an object")
            return frozenset()
        self.problems += _unknown_keys("always_alert", value, frozenset({"event_types"}))
        types = value.get("event_types", list(DEFAULT_ALWAYS_ALERT_TYPES))
        if not isinstance(types, list):
            self.problems.append("always_alert.event_types: must be an array of event types")
            return frozenset()
        return frozenset(
            name for index, name in enumerate(types) if self.event_type(f"always_alert.event_types[{index}]", name)
        )

    def thresholds(self, value: Any) -> tuple[ThresholdRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problems.append("thresholds: must be an array")
            return ()
        rules = [rule for index, item in enumerate(value) if (rule := self.threshold(f"thresholds[{index}]", item))]
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                self.problems.append(f"thresholds: duplicate rule name {rule.name!r}")
            seen.add(rule.name)
        return tuple(rules)

    def threshold(self, where: str, item: Any) -> ThresholdRule | None:
        if not isinstance(item, dict):
            self.problems.append(f"{where}: must be an object")
            return None
        before = len(self.problems)
        self.problems += _unknown_keys(where, item, _THRESHOLD_KEYS)
        self.problems += [f"{where}: missing required key {key!r}" for key in sorted(_THRESHOLD_KEYS - set(item))]
        name = item.get("name")
        if "name" in item and (
            not isinstance(name, str) or not _RULE_NAME.match(name) or name.lower() == WATCHLIST_RULE
        ):
            self.problems.append(
                f"{where}.name: {name!r} must be 1-64 letters, digits, '_', '.' or '-' (and not {WATCHLIST_RULE!r})"
            )
        if "event_type" in item:
            self.event_type(f"{where}.event_type", item["event_type"])
        if "group_by" in item and item["group_by"] not in GROUP_BY_VALUES:
            self.problems.append(f"{where}.group_by: must be one of {list(GROUP_BY_VALUES)}, got {item['group_by']!r}")
        for key in ("count", "window_minutes"):
            if key in item and not _positive_int(item[key]):
                self.problems.append(f"{where}.{key}: must be a positive integer, got {item[key]!r}")
        if len(self.problems) > before:
            return None
        return ThresholdRule(
            name=name,
            event_type=item["event_type"],
            group_by=item["group_by"],
            count=item["count"],
            window_minutes=item["window_minutes"],
        )

    def watchlist(self, value: Any) -> tuple[frozenset[str], frozenset[str]]:
        if value is None:
            return frozenset(), frozenset()
        if not isinstance(value, dict):
            self.problems.append("watchlist: must be an object")
            return frozenset(), frozenset()
        self.problems += _unknown_keys("watchlist", value, _WATCHLIST_KEYS)
        ids = value.get("requestorids", [])
        ips = value.get("requestorips", [])
        for key, items in (("requestorids", ids), ("requestorips", ips)):
            if not _string_list(items):
                self.problems.append(f"watchlist.{key}: must be an array of non-empty strings")
        if not _string_list(ids) or not _string_list(ips):
            return frozenset(), frozenset()
        addresses = set()
        for index, address in enumerate(ips):
            try:
                addresses.add(str(ipaddress.ip_address(address)))
            except ValueError:
                self.problems.append(f"watchlist.requestorips[{index}]: {address!r} is not an IPv4 or IPv6 address")
        return frozenset(ids), frozenset(addresses)

    def dedupe_window(self, value: Any) -> int:
        if value is None:
            return DEFAULT_DEDUPE_WINDOW_MINUTES
        if not _positive_int(value):
            self.problems.append(f"dedupe_window_minutes: must be a positive integer, got {value!r}")
            return DEFAULT_DEDUPE_WINDOW_MINUTES
        return value


def parse_rules(document: Any, known_event_types: Iterable[str] | None = None) -> AlertRules:
    """Validate the ALERT_RULES document; raise ConfigurationError listing every problem."""
    parser = _Parser(frozenset(event_types() if known_event_types is None else known_event_types))
    if not isinstance(document, dict):
        raise ConfigurationError("ALERT_RULES must be a JSON object")
    parser.problems += _unknown_keys("ALERT_RULES", document, _TOP_LEVEL_KEYS)
    always = parser.always_alert(document.get("always_alert"))
    thresholds = parser.thresholds(document.get("thresholds"))
    ids, ips = parser.watchlist(document.get("watchlist"))
    dedupe = parser.dedupe_window(document.get("dedupe_window_minutes"))
    if parser.problems:
        raise ConfigurationError("ALERT_RULES is invalid: " + "; ".join(parser.problems))
    return AlertRules(always, thresholds, ids, ips, dedupe)


# --- evaluation ----------------------------------------------------------------------------------

# (rule, initiator, subject value, start ms, end ms) -> indexed events of rule.event_type for that
# subject of that initiator, received (server time) from start to end: the index is tenant-scoped,
# and so is what a threshold counts.
IndexLookup = Callable[[ThresholdRule, str, str, int, int], list[AuditEvent]]


def _by_time(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    return sorted(events, key=lambda event: (event.received_ms, event.eventid))


def _split_by_window(events: list[AuditEvent], window_ms: int) -> list[list[AuditEvent]]:
    """Consecutive groups: each starts at its first event and holds the events up to window_ms later.

    This mirrors the dedupe condition, so a group is exactly what one alert covers.
    """
    groups: list[list[AuditEvent]] = []
    for event in _by_time(events):
        if groups and event.received_ms <= groups[-1][0].received_ms + window_ms:
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def _grouped_alerts(
    grouped: Mapping[tuple[str, str, SubjectType, str], list[AuditEvent]],
    ruletype: RuleType,
    window_minutes: int,
) -> list[Alert]:
    window_ms = window_minutes * MILLIS_PER_MINUTE
    alerts = []
    for (initiator, rule, subject_type, subject_value), events in sorted(grouped.items()):
        for group in _split_by_window(events, window_ms):
            trigger = group[0].received_ms
            alerts.append(
                Alert(
                    initiator=initiator,
                    rule=rule,
                    ruletype=ruletype,
                    subject_type=subject_type,
                    subject_value=subject_value,
                    events=tuple(group),
                    trigger_ms=trigger,
                    window_start_ms=trigger,
                    window_end_ms=trigger + window_ms,
                    window_minutes=window_minutes,
                    dedupe_until_ms=trigger + window_ms,
                )
            )
    return alerts


def always_alerts(events: Iterable[AuditEvent], rules: AlertRules) -> list[Alert]:
    grouped: dict[tuple[str, str, SubjectType, str], list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.eventtype in rules.always_alert_types:
            rule = ALWAYS_ALERT_RULE_PREFIX + event.eventtype
            grouped[(event.initiatorsystemcode, rule, "requestorid", event.requestorid)].append(event)
    return _grouped_alerts(grouped, "always_alert", rules.dedupe_window_minutes)


def watchlist_alerts(events: Iterable[AuditEvent], rules: AlertRules) -> list[Alert]:
    grouped: dict[tuple[str, str, SubjectType, str], list[AuditEvent]] = defaultdict(list)
    for event in events:
        initiator = event.initiatorsystemcode
        if event.requestorid in rules.watched_requestorids:
            grouped[(initiator, WATCHLIST_RULE, "requestorid", event.requestorid)].append(event)
        address = canonical_ip(event.requestorip)
        if address in rules.watched_requestorips:
            grouped[(initiator, WATCHLIST_RULE, "requestorip", address)].append(event)
    return _grouped_alerts(grouped, "watchlist", rules.dedupe_window_minutes)


def threshold_alerts(events: Iterable[AuditEvent], rule: ThresholdRule, lookup: IndexLookup) -> list[Alert]:
    """Alerts of one threshold rule for every subject with matching events in this object."""
    current: dict[tuple[str, str], list[AuditEvent]] = defaultdict(list)
    for event in events:
        if event.eventtype == rule.event_type:
            current[(event.initiatorsystemcode, getattr(event, rule.group_by))].append(event)
    alerts = []
    for (initiator, subject), fresh in sorted(current.items()):
        # Any window holding one of these events lies within W of the earliest or the latest of them.
        start = min(event.received_ms for event in fresh) - rule.window_ms
        end = max(event.received_ms for event in fresh) + rule.window_ms
        indexed = lookup(rule, initiator, subject, start, end)
        alerts += subject_threshold_alerts(rule, initiator, subject, fresh, indexed)
    return alerts


def subject_threshold_alerts(
    rule: ThresholdRule, initiator: str, subject: str, fresh: list[AuditEvent], indexed: list[AuditEvent]
) -> list[Alert]:
    """Windows [t - W, t] that hold >= count events, at least one from this object.

    The first such window fires (its last event is the trigger); the next may fire only once its
    trigger is past the previous trigger + W, which is the same rule the notifier's dedupe applies.
    """
    # Only the initiator's own events count, whatever the look-up returned.
    merged = {event.eventid: event for event in indexed if event.initiatorsystemcode == initiator}
    merged.update((event.eventid, event) for event in fresh)  # union by eventid: indexed or not
    ordered = _by_time(merged.values())
    fresh_ids = {event.eventid for event in fresh}
    alerts: list[Alert] = []
    first = 0
    for last, event in enumerate(ordered):
        end = event.received_ms
        if last + 1 < len(ordered) and ordered[last + 1].received_ms == end:
            continue  # evaluate a receive time once, with every event that has it
        while ordered[first].received_ms < end - rule.window_ms:
            first += 1
        window = ordered[first : last + 1]
        if len(window) < rule.count or not any(item.eventid in fresh_ids for item in window):
            continue
        if alerts and end <= alerts[-1].dedupe_until_ms:
            continue
        alerts.append(
            Alert(
                initiator=initiator,
                rule=rule.name,
                ruletype="threshold",
                subject_type=rule.group_by,
                subject_value=subject,
                events=tuple(window),
                trigger_ms=end,
                window_start_ms=end - rule.window_ms,
                window_end_ms=end,
                window_minutes=rule.window_minutes,
                dedupe_until_ms=end + rule.window_ms,
            )
        )
    return alerts


def evaluate(events: list[AuditEvent], rules: AlertRules, lookup: IndexLookup) -> list[Alert]:
    """Every alert the events of one object raise, before dedupe."""
    alerts = always_alerts(events, rules)
    for rule in rules.thresholds:
        alerts += threshold_alerts(events, rule, lookup)
    return alerts + watchlist_alerts(events, rules)
