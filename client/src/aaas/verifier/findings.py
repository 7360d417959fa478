"""What verification found: one precise finding per problem, and the exit code they add up to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Objects created after the newest digest: reported, never counted as verified, not a failure.
PENDING_KINDS = frozenset({"object-unsealed"})
EXIT_OK, EXIT_INTEGRITY, EXIT_USAGE = 0, 1, 2


class AccessError(RuntimeError):
    """The archive, a key or a file could not be read: a usage or access problem, exit code 2."""


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # digest-missing, digest-signature-invalid, object-changed, object-deleted, ...
    message: str
    key: str | None = None
    versionid: str | None = None
    digest: str | None = None
    lines: tuple[dict[str, Any], ...] = ()

    @property
    def failure(self) -> bool:
        return self.kind not in PENDING_KINDS

    def to_dict(self) -> dict[str, Any]:
        item = {name: value for name, value in asdict(self).items() if value not in (None, ())}
        item["lines"] = list(self.lines) if self.lines else None
        item["severity"] = "failure" if self.failure else "pending"
        return {name: value for name, value in item.items() if value is not None}


@dataclass
class Report:
    source: str
    findings: list[Finding] = field(default_factory=list)
    digests: int = 0
    objects: int = 0
    events: int = 0
    bytes: int = 0

    def add(self, kind: str, message: str, **where: Any) -> None:
        self.findings.append(Finding(kind, message, **where))

    @property
    def failures(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.failure]

    @property
    def exit_code(self) -> int:
        return EXIT_INTEGRITY if self.failures else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.failures,
            "source": self.source,
            "summary": {
                "digests": self.digests,
                "objects": self.objects,
                "events": self.events,
                "bytes": self.bytes,
                "failures": len(self.failures),
                "pending": len(self.findings) - len(self.failures),
            },
            "findings": [finding.to_dict() for finding in self.findings],
        }
