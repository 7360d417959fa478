"""Fault injection for the reliability tests: ``/_aaas/faults`` switches AWS-shaped failures on and off.

Off by default, held in memory only (a restart clears it), and reachable only on LocalStack's
loopback gateway. Three kinds of fault, each as AWS itself reports it:

- ``firehose``: PutRecordBatch fails a share of the records with the per-record error
  ``ServiceUnavailableException`` (the rest are delivered); PutRecord fails the whole call.
- ``dynamodb``: PutItem/UpdateItem/DeleteItem raise ``ProvisionedThroughputExceededException``;
  BatchWriteItem returns a share of its requests as ``UnprocessedItems`` and writes the others, or
  raises ``ProvisionedThroughputExceededException`` when the fault picks every one of them (as AWS does).
- ``lambda``: an invocation fails as if the handler raised (``errorType`` ``InjectedFault``), without
  running the handler.

``PUT /_aaas/faults`` replaces the whole configuration and resets the counters, e.g.::

    {"firehose": {"rate": 0.1, "resources": ["aaas-local-events"]},
     "dynamodb": {"rate": 0.2, "resources": ["aaas-local-index"], "operations": ["PutItem", "BatchWriteItem"]},
     "lambda": {"rate": 1.0, "resources": ["aaas-local-transformation"], "limit": 2},
     "seed": 7}

``rate`` is the chance that each record, item or invocation fails; ``resources`` names the
delivery streams, tables or functions it applies to (every one when absent); ``limit`` stops the
fault after that many injections (``rate`` 1.0 with ``limit`` n fails exactly the next n). ``GET``
returns the configuration and what was injected so far; ``DELETE`` switches everything off and
returns the final counters.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("firehose", "dynamodb", "lambda")
DYNAMODB_WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")


class FaultConfigError(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Rule:
    rate: float
    resources: frozenset[str] = frozenset()  # empty: every resource
    operations: frozenset[str] = frozenset()  # dynamodb only; empty: every write operation
    limit: int | None = None

    def applies(self, resource: str, operation: str | None) -> bool:
        name = resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1]  # a table or stream ARN names it last
        if self.resources and name not in self.resources:
            return False
        return not (operation and self.operations and operation not in self.operations)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"rate": self.rate, "resources": sorted(self.resources)}
        if self.operations:
            body["operations"] = sorted(self.operations)
        if self.limit is not None:
            body["limit"] = self.limit
        return body


def _rule(kind: str, raw: Any, errors: list[str]) -> Rule | None:
    if not isinstance(raw, dict):
        errors.append(f"{kind}: must be an object")
        return None
    unknown = sorted(set(raw) - {"rate", "resources", "operations", "limit"})
    if unknown:
        errors.append(f"{kind}: unknown fields {unknown}")
    if kind != "dynamodb" and "operations" in raw:
        errors.append(f"{kind}.operations: only dynamodb faults select operations")
    rate = raw.get("rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        errors.append(f"{kind}.rate: must be a number from 0 to 1")
    resources = raw.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, str) and r for r in resources):
        errors.append(f"{kind}.resources: must be a list of names")
    operations = raw.get("operations", [])
    if not isinstance(operations, list) or not set(operations) <= set(DYNAMODB_WRITE_OPERATIONS):
        errors.append(f"{kind}.operations: must be a list of {', '.join(DYNAMODB_WRITE_OPERATIONS)}")
    limit = raw.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        errors.append(f"{kind}.limit: must be a positive integer")
    if errors:
        return None
    return Rule(float(rate), frozenset(resources), frozenset(operations), limit)


def parse(config: Any) -> tuple[dict[str, Rule], int | None]:
    """The rules of a PUT body, or FaultConfigError listing every problem."""
    if not isinstance(config, dict):
        raise FaultConfigError(["the body must be a JSON object"])
    errors: list[str] = []
    unknown = sorted(set(config) - {*KINDS, "seed"})
    if unknown:
        errors.append(f"unknown fault kinds {unknown}; known: {', '.join(KINDS)}")
    seed = config.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        errors.append("seed: must be an integer")
    rules = {}
    for kind in KINDS:
        if kind in config:
            kind_errors: list[str] = []
            rule = _rule(kind, config[kind], kind_errors)
            errors += kind_errors
            if rule is not None:
                rules[kind] = rule
    if errors:
        raise FaultConfigError(errors)
    return rules, seed


@dataclass
class Faults:
    """The live configuration and its counters; every provider asks it, from many threads."""

    rules: dict[str, Rule] = field(default_factory=dict)
    seed: int | None = None
    injected: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> operation -> count
    considered: dict[str, int] = field(default_factory=dict)  # kind -> records/items/invocations asked about
    _random: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(self, rules: dict[str, Rule], seed: int | None) -> None:
        with self._lock:
            self.rules, self.seed = rules, seed
            self.injected, self.considered = {}, {}
            self._random = random.Random(seed)  # noqa: S311 - test faults, not cryptography

    def clear(self) -> None:
        self.configure({}, None)

    def should_fail(self, kind: str, resource: str, operation: str) -> bool:
        """Decide one record, item or invocation; counts what it injects."""
        rule = self.rules.get(kind)
        if rule is None or not rule.applies(resource, operation):
            return False
        with self._lock:
            self.considered[kind] = self.considered.get(kind, 0) + 1
            done = sum(self.injected.get(kind, {}).values())
            if rule.limit is not None and done >= rule.limit:
                return False
            if self._random.random() >= rule.rate:
                return False
            by_operation = self.injected.setdefault(kind, {})
            by_operation[operation] = by_operation.get(operation, 0) + 1
            return True

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "faults": {kind: rule.to_dict() for kind, rule in self.rules.items()},
                "seed": self.seed,
                "considered": dict(self.considered),
                "injected": {kind: dict(counts) for kind, counts in self.injected.items()},
            }


FAULTS = Faults()


def handle(method: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """The HTTP semantics of /_aaas/faults, apart from the web framework."""
    if method == "GET":
        return 200, FAULTS.state()
    if method == "DELETE":
        final = FAULTS.state()
        FAULTS.clear()
        return 200, final
    try:
        config = json.loads(body or b"null")
    except ValueError as exc:
        return 400, {"errors": [f"the body is not JSON: {exc}"]}
    try:
        rules, seed = parse(config)
    except FaultConfigError as exc:
        return 400, {"errors": exc.errors}
    FAULTS.configure(rules, seed)
    return 200, FAULTS.state()


def register() -> None:
    from localstack.http import Request, Response
    from localstack.services.edge import ROUTER

    def route(request: Request) -> Response:
        status, body = handle(request.method, request.get_data())
        return Response.for_json(body, status=status)

    ROUTER.add("/_aaas/faults", route, methods=["GET", "PUT", "DELETE"])
