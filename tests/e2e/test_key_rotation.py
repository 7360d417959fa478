"""End to end on LocalStack: an API key rotation, applied with Terraform as an operator would.

A client `rotator` is added, gets a next key, switches to it, and its old key is retired; at the
end the stack's original `clients` are applied again, so the other tests see the stack unchanged.
"""

from __future__ import annotations

import copy
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rest
from aaas.config import terraform_outputs
from support import ROOT, example_events

pytestmark = [pytest.mark.localstack, pytest.mark.e2e]

APPLY = ROOT / "scripts" / "local-apply.sh"
FORBIDDEN = (403, {"message": "Forbidden"})  # API Gateway's answer to an unknown or deleted key


def local_clients() -> dict[str, Any]:
    """The `clients` variable the local stack is applied with (local.tfvars), as Terraform reads it."""
    result = subprocess.run(
        [str(APPLY), "console"],
        input="jsonencode(var.clients)\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(json.loads(result.stdout.strip().splitlines()[-1]))


def apply(clients: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """tflocal apply with these clients (nothing else changes, so no refresh is needed); the new outputs."""
    var_file = tmp / f"clients-{uuid.uuid4().hex[:6]}.tfvars.json"
    var_file.write_text(json.dumps({"clients": clients}))
    started = time.monotonic()
    subprocess.run([str(APPLY), "apply", f"-var-file={var_file}", "-refresh=false"], check=True, timeout=900,
                   capture_output=True)  # fmt: skip
    print(f"apply with {sorted(clients)} took {time.monotonic() - started:.0f} s")
    return terraform_outputs(ROOT / "terraform")


def rotator(keys: dict[str, Any]) -> dict[str, Any]:
    return {"initiator_codes": ["CRM_MBL"], "scopes": ["write", "read"], "keys": keys}


def event(requestorid: str) -> dict[str, Any]:
    body = copy.deepcopy(example_events()["LOGIN_SUCCESSFUL"])
    body.update(initiatorsystemcode="CRM_MBL", requestorid=requestorid, timestamp=int(time.time() * 1000) - 60_000)
    body["eventid"] = str(uuid.uuid4())
    return body


@pytest.fixture(scope="module")
def original(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The stack's clients; applied again at the end, whatever happened."""
    clients = local_clients()
    yield clients
    apply(clients, tmp_path_factory.mktemp("restore"))


def search(api: str, key: str, requestorid: str, **params: Any) -> rest.Reply:
    query = {"requestorid": requestorid, "initiatorsystemcode": "CRM_MBL", **params}
    return rest.call(api, "GET", "/v1/events", key, params=query)


def answer(reply: rest.Reply) -> tuple[int, Any]:
    return reply.status, reply.body


def test_both_keys_work_during_a_rotation_and_the_old_one_is_refused_after_it(
    stack: dict[str, Any], original: dict[str, Any], tmp_path: Path
) -> None:
    api, marker = stack["api_local_url"], f"e2e-rotate-{uuid.uuid4().hex[:8]}"

    # 1. The client exists with its first key generation.
    outputs = apply({**original, "rotator": rotator({"current": "1"})}, tmp_path)
    old = outputs["api_keys"]["rotator"]
    assert outputs["api_keys_by_generation"]["rotator"] == {"1": old}
    first = event(f"{marker}-a")
    assert rest.call(api, "POST", "/v1/events", old, first).status == 201

    # 2. Add the next key and apply: the old key is unchanged and both work, as one tenant.
    outputs = apply({**original, "rotator": rotator({"current": "1", "next": "2"})}, tmp_path)
    generations = outputs["api_keys_by_generation"]["rotator"]
    new = generations["2"]
    assert generations["1"] == old and new != old and outputs["api_keys"]["rotator"] == old
    ids = outputs["api_key_ids_by_generation"]["rotator"]
    assert outputs["api_clients"][ids["1"]] == outputs["api_clients"][ids["2"]]
    for key, requestor in ((old, f"{marker}-a"), (new, f"{marker}-a")):
        reply = search(api, key, requestor)
        assert reply.status == 200 and [e["eventid"] for e in reply.body["events"]] == [first["eventid"]]
    repost = rest.call(api, "POST", "/v1/events", new, first)  # a retry with the new key: same event
    assert (repost.status, repost.body["duplicate"]) == (200, True)
    second, third = event(f"{marker}-b"), event(f"{marker}-b")
    assert rest.call(api, "POST", "/v1/events", new, second).status == 201
    assert rest.call(api, "POST", "/v1/events", old, third).status == 201
    # A search started with the old key pages on with the new one.
    page = search(api, old, f"{marker}-b", limit=1)
    assert page.status == 200 and page.body["next"]
    rest_of_it = search(api, new, f"{marker}-b", limit=1, cursor=page.body["next"])
    assert rest_of_it.status == 200, rest_of_it.body
    seen = {e["eventid"] for e in page.body["events"] + rest_of_it.body["events"]}
    assert seen == {second["eventid"], third["eventid"]}

    # 3. The client has switched: retire the old key. Only the new one works.
    outputs = apply({**original, "rotator": rotator({"current": "2"})}, tmp_path)
    assert outputs["api_keys"]["rotator"] == new and outputs["api_keys_by_generation"]["rotator"] == {"2": new}
    assert answer(rest.call(api, "POST", "/v1/events", old, event(f"{marker}-c"))) == FORBIDDEN
    assert answer(search(api, old, f"{marker}-a")) == FORBIDDEN
    reply = search(api, new, f"{marker}-a")
    assert reply.status == 200 and [e["eventid"] for e in reply.body["events"]] == [first["eventid"]]
    assert rest.call(api, "POST", "/v1/events", new, event(f"{marker}-c")).status == 201
    # The other clients' keys never changed.
    assert {name: outputs["api_keys"][name] for name in original} == {
        name: stack["api_keys"][name] for name in original
    }
