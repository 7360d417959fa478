"""Who may do what: the API clients (one per API key) with their scopes and initiators.

Terraform writes ``API_CLIENTS`` from the ``clients`` variable:
``{"<api key id>": {"client": "crm", "scopes": ["write", "read"], "write": ["CRM_WEB"], "read": ["CRM_WEB"]}}``.
A key is a tenant: it posts events for its ``write`` initiators and reads those of its ``read``
initiators, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from audit_shared.config import ConfigurationError, json_env

SCOPES = frozenset({"write", "read"})


@dataclass(frozen=True, slots=True)
class ClientAccess:
    client: str
    scopes: frozenset[str]
    write_initiators: frozenset[str]
    read_initiators: frozenset[str]

    def may_write(self, initiator: str) -> bool:
        return "write" in self.scopes and initiator in self.write_initiators

    def may_read(self, initiator: str) -> bool:
        return "read" in self.scopes and initiator in self.read_initiators


def _string_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def parse_clients(value: object) -> dict[str, ClientAccess]:
    """API key id -> ClientAccess; raises ConfigurationError listing every malformed entry."""
    if not isinstance(value, dict):
        raise ConfigurationError("API_CLIENTS must be a JSON object keyed by API key id")
    problems = []
    clients = {}
    for key_id, entry in value.items():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("client"), str)
            and all(_string_list(entry.get(name)) for name in ("scopes", "write", "read"))
            and set(entry["scopes"]) <= SCOPES
        ):
            problems.append(f"API_CLIENTS[{key_id!r}] needs client, scopes (write/read), write and read lists")
            continue
        clients[key_id] = ClientAccess(
            client=entry["client"],
            scopes=frozenset(entry["scopes"]),
            write_initiators=frozenset(entry["write"]),
            read_initiators=frozenset(entry["read"]),
        )
    if problems:
        raise ConfigurationError("; ".join(problems))
    return clients


def clients_env(name: str = "API_CLIENTS") -> dict[str, ClientAccess]:
    return parse_clients(json_env(name))
