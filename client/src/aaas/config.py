"""Where the API is and which key to use: flags, then AAAS_URL / AAAS_API_KEY, then Terraform outputs.

`--terraform-dir DIR` reads `terraform output -json` of an applied stack: the invoke URL and every
client's key with what it may write and read, so each event can go with the key allowed to post
its initiator. `--local` does the same for the stack applied to LocalStack (its `api_local_url`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aaas.errors import ConfigError

DEFAULT_TERRAFORM_DIR = Path("terraform")
LOCALSTACK_ENDPOINT = "http://127.0.0.1:4566"
_AWS_INVOKE_URL = re.compile(
    r"^https://(?P<api>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com/(?P<stage>[^/]+)/?$"
)


def default_terraform_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """AAAS_TERRAFORM_DIR, else ./terraform (the project's configuration, from the project's root)."""
    return Path(environ.get("AAAS_TERRAFORM_DIR") or DEFAULT_TERRAFORM_DIR)


def localstack_endpoint() -> str:
    return os.environ.get("LOCALSTACK_ENDPOINT", LOCALSTACK_ENDPOINT).rstrip("/")


def terraform_outputs(directory: Path) -> dict[str, Any]:
    """`terraform output -json` of an applied configuration, as {name: value}."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            ["terraform", f"-chdir={directory}", "output", "-json"],  # noqa: S607 - terraform from PATH
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
    except FileNotFoundError as exc:
        raise ConfigError("terraform is not on PATH; pass --url and --api-key instead") from exc
    try:
        outputs = json.loads(result.stdout or "{}") if result.returncode == 0 else {}
    except json.JSONDecodeError:
        outputs = {}
    if "api_invoke_url" not in outputs:
        raise ConfigError(f"no api_invoke_url output in {directory} (apply it first, or pass --url and --api-key)")
    return {name: value["value"] for name, value in outputs.items()}


def localstack_url(url: str, endpoint: str) -> str:
    """An AWS invoke URL rewritten to LocalStack's execute-api route; other URLs unchanged."""
    match = _AWS_INVOKE_URL.match(url)
    if not match:
        return url
    return f"{endpoint.rstrip('/')}/_aws/execute-api/{match['api']}/{match['stage']}"


@dataclass(frozen=True, slots=True)
class ClientKey:
    """One client system's API key and what it may do (the `api_clients` output)."""

    name: str
    key: str
    write: tuple[str, ...] = ()
    read: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """The API URL, an explicit key (flag or env), and the keys an applied stack's outputs name."""

    url: str
    api_key: str | None = None
    clients: tuple[ClientKey, ...] = ()
    outputs: Mapping[str, Any] = field(default_factory=dict)

    def _named(self, client: str | None) -> ClientKey | None:
        if client is None:
            return None
        for item in self.clients:
            if item.name == client:
                return item
        known = ", ".join(sorted(item.name for item in self.clients)) or "none"
        raise ConfigError(f"unknown client {client!r}; the Terraform outputs know: {known}")

    def write_key(self, initiator: Any, client: str | None = None) -> str:
        """The key to post an event of this initiator with."""
        if self.api_key:
            return self.api_key
        named = self._named(client)
        if named is not None:
            return named.key
        for item in self.clients:
            if initiator in item.write:
                return item.key
        # No client may post this initiator: any writing key, so that the API explains the refusal.
        for item in self.clients:
            if item.write:
                return item.key
        raise ConfigError("no API key: pass --api-key, set AAAS_API_KEY, or use --terraform-dir/--local")

    def read_access(self, initiator: str | None = None, client: str | None = None) -> tuple[str, tuple[str, ...]]:
        """(key, the initiators it reads, when known) for a read; without an initiator, the widest reader."""
        if self.api_key:
            return self.api_key, ()
        named = self._named(client)
        if named is not None:
            return named.key, named.read
        readers = [item for item in self.clients if item.read and (initiator is None or initiator in item.read)]
        if not readers:
            raise ConfigError(f"no client in the Terraform outputs may read {initiator or 'events'}; pass --api-key")
        # The widest reader: a search without an initiator then covers everything the stack holds.
        best = max(readers, key=lambda item: (len(item.read), item.name))
        return best.key, best.read


def clients_from_outputs(outputs: Mapping[str, Any]) -> tuple[ClientKey, ...]:
    keys: Mapping[str, str] = outputs.get("api_keys") or {}
    key_ids: Mapping[str, str] = outputs.get("api_key_ids") or {}
    access: Mapping[str, Any] = outputs.get("api_clients") or {}
    clients = []
    for name, key in sorted(keys.items()):
        rights = access.get(key_ids.get(name, ""), {})
        clients.append(ClientKey(name, key, tuple(rights.get("write") or ()), tuple(rights.get("read") or ())))
    return tuple(clients)


def resolve(
    url: str | None = None,
    api_key: str | None = None,
    terraform_dir: Path | None = None,
    local: bool = False,
    environ: Mapping[str, str] = os.environ,
) -> Profile:
    """Flags first, then AAAS_URL / AAAS_API_KEY, then the Terraform outputs (--terraform-dir or --local)."""
    url = url or environ.get("AAAS_URL") or None
    api_key = api_key or environ.get("AAAS_API_KEY") or None
    outputs: dict[str, Any] = {}
    if terraform_dir is not None or local or url is None:
        if terraform_dir is None and not local and url is None:
            raise ConfigError("no API URL: pass --url, set AAAS_URL, or use --terraform-dir DIR or --local")
        directory = terraform_dir or default_terraform_dir(environ)
        outputs = terraform_outputs(directory)
    if url is None:
        if local:
            url = outputs.get("api_local_url") or localstack_url(outputs["api_invoke_url"], localstack_endpoint())
        else:
            url = outputs["api_invoke_url"]
    elif local:
        url = localstack_url(url, localstack_endpoint())
    profile = Profile(url=str(url).rstrip("/"), api_key=api_key, clients=clients_from_outputs(outputs), outputs=outputs)
    if not profile.api_key and not profile.clients:
        raise ConfigError("no API key: pass --api-key, set AAAS_API_KEY, or use --terraform-dir DIR or --local")
    return profile


def localstack_boto3_client(service: str) -> Any:
    """A boto3 client for the local stack (LocalStack's fixed test credentials); boto3 is optional."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise ConfigError("this command reads AWS directly and needs boto3: pip install boto3") from exc
    return boto3.client(
        service,
        endpoint_url=localstack_endpoint(),
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - LocalStack's fixed test credentials
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}, read_timeout=120),
    )
