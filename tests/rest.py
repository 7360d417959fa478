"""The HTTP calls the end-to-end tests make, as a client would make them (urllib, no SDK)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text) if self.text else None


def call(
    base_url: str,
    method: str,
    path: str,
    api_key: str | None,
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> Reply:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    data = json.dumps(body).encode() if body is not None else None
    return send(base_url, method, f"{path}{query}", api_key, data, "application/json" if data is not None else None)


def send(
    base_url: str, method: str, path_and_query: str, api_key: str | None, data: bytes | None, content_type: str | None
) -> Reply:
    """Any bytes with any (or no) Content-Type: what call() sends, and what a hostile client sends."""
    headers = {"Content-Type": content_type} if content_type else {}
    if api_key:
        headers["x-api-key"] = api_key
    request = urllib.request.Request(f"{base_url}{path_and_query}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return Reply(response.status, response.read().decode())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.read().decode())
