"""The `aaas` command line against a mocked API (respx): configuration, files, output, one-line errors."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from aaas import cli, config
from aaas.errors import ConfigError

URL = "http://127.0.0.1:4566/_aws/execute-api/abc/local"
OUTPUTS = {
    "api_invoke_url": "https://abc.execute-api.us-east-1.amazonaws.com/local",
    "api_local_url": URL,
    "api_keys": {"crm": "crm-key", "erp": "erp-key", "auditor": "auditor-key"},
    "api_key_ids": {"crm": "id-crm", "erp": "id-erp", "auditor": "id-auditor"},
    "api_clients": {
        "id-crm": {"client": "crm", "write": ["CRM_WEB", "CRM_MBL"], "read": ["CRM_WEB", "CRM_MBL"]},
        "id-erp": {"client": "erp", "write": ["ERP_WEB"], "read": []},
        "id-auditor": {"client": "auditor", "write": [], "read": ["CRM_WEB", "CRM_MBL", "ERP_WEB"]},
    },
}


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = cli.main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> None:
    """--local reads these Terraform outputs instead of running terraform."""
    monkeypatch.setattr(config, "terraform_outputs", lambda _directory: OUTPUTS)
    monkeypatch.delenv("AAAS_URL", raising=False)
    monkeypatch.delenv("AAAS_API_KEY", raising=False)


@pytest.fixture
def api() -> respx.MockRouter:
    with respx.mock(assert_all_called=False) as router:
        yield router


PROJECT_TOOLS = {"reindex", "report"}  # aaas.project.run_tool: scripts/<name>.py of the checkout


def test_every_command_has_help(capfd: pytest.CaptureFixture[str]) -> None:
    for name in [None, *cli.COMMANDS]:
        if name in PROJECT_TOOLS:  # the checkout's own script answers, in its own process
            assert cli.main([name, "--help"]) == 0
            assert "usage:" in capfd.readouterr().out
            continue
        with pytest.raises(SystemExit) as exit_info:
            cli.main([name, "--help"] if name else ["--help"])
        assert exit_info.value.code == 0, name
        assert "usage: aaas" in capfd.readouterr().out
    assert {"post", "post-file", "get", "search", "proof", "verify", "verify-event", "export"} <= cli.COMMANDS.keys()


def test_configuration_flags_then_environment_then_terraform(local: None) -> None:
    env = {"AAAS_URL": "https://env.example.com/", "AAAS_API_KEY": "env-key"}
    assert config.resolve(environ=env) == config.Profile("https://env.example.com", "env-key")
    assert config.resolve("https://flag.example.com", "flag-key", environ=env).api_key == "flag-key"
    profile = config.resolve(local=True, environ={})
    assert (profile.url, profile.api_key) == (URL, None)
    assert profile.write_key("ERP_WEB") == "erp-key"
    assert profile.write_key("CRM_MBL") == "crm-key"
    assert profile.read_access() == ("auditor-key", ("CRM_WEB", "CRM_MBL", "ERP_WEB"))
    assert profile.read_access(client="crm") == ("crm-key", ("CRM_WEB", "CRM_MBL"))
    with pytest.raises(ConfigError, match="unknown client 'nope'; the Terraform outputs know: auditor, crm, erp"):
        profile.write_key("CRM_WEB", "nope")
    with pytest.raises(ConfigError, match="no API URL: pass --url, set AAAS_URL"):
        config.resolve(environ={})


def test_local_rewrites_an_aws_invoke_url() -> None:
    assert (
        config.localstack_url("https://a1b2c3.execute-api.eu-central-1.amazonaws.com/live/", "http://127.0.0.1:4566")
        == "http://127.0.0.1:4566/_aws/execute-api/a1b2c3/live"
    )
    assert config.localstack_url("https://audit.example.com/v1", "http://x") == "https://audit.example.com/v1"


def batch_answer(refuse_field: str | None = None) -> Any:
    def answer(request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["events"]
        successful, failed = [], []
        for n, event in enumerate(events):
            if refuse_field and refuse_field not in event:
                failed.append({"index": n, "status": 400, "errorcode": "ValidationError", "retryable": False,
                               "message": "event failed validation",
                               "errors": [{"field": refuse_field, "message": "is required"}]})  # fmt: skip
            else:
                successful.append({"index": n, "eventid": event["eventid"], "receivedat": "t", "duplicate": False})
        return httpx.Response(200, json={"successful": successful, "failed": failed})

    return answer


def test_post_file_reads_csv_and_posts_each_event_with_its_initiators_key(
    local: None, api: respx.MockRouter, tmp_path: Path
) -> None:
    route = api.post(f"{URL}/v1/events/batch").mock(side_effect=batch_answer(refuse_field="requestorid"))
    path = tmp_path / "events.csv"
    path.write_text(
        "initiatorsystemcode,eventtype,requestorid,timestamp,location.latitude,location.city,details.ticket\n"
        "CRM_WEB,LOGIN_SUCCESSFUL,u-1,1793523722000,52.5,Berlin,T-1\n"
        "ERP_WEB,LOGOUT_SUCCESSFUL,u-2,1793523722001,,,\n"
        "CRM_MBL,LOGOUT_SUCCESSFUL,,1793523722002,,,\n"
    )
    status, out, err = run("post-file", str(path), "--local", "--json")
    assert status == 1
    by_key = {call.request.headers["x-api-key"]: json.loads(call.request.content)["events"] for call in route.calls}
    assert sorted(by_key) == ["crm-key", "erp-key"]
    first = by_key["crm-key"][0]
    assert {name: value for name, value in first.items() if name != "eventid"} == {
        "initiatorsystemcode": "CRM_WEB", "eventtype": "LOGIN_SUCCESSFUL", "requestorid": "u-1",
        "timestamp": 1793523722000, "location": {"latitude": 52.5, "city": "Berlin"}, "details": {"ticket": "T-1"},
    }  # fmt: skip
    lines = out.splitlines()
    assert [line.split("\t")[:2] for line in lines[:-1]] == [["0", "stored"], ["2", "refused"], ["1", "stored"]]
    assert lines[1] == "2\trefused\tValidationError (400): requestorid: is required"
    summary = json.loads(lines[-1])
    assert (summary["stored"], summary["refused"], summary["reasons"]) == (2, 1, {"ValidationError (400)": 1})
    assert err == "2 stored, 0 duplicate, 1 refused\n"


def test_post_file_draws_a_progress_bar_when_asked(local: None, api: respx.MockRouter, tmp_path: Path) -> None:
    api.post(f"{URL}/v1/events/batch").mock(side_effect=batch_answer())
    path = tmp_path / "events.ndjson"
    path.write_text("".join(json.dumps({"initiatorsystemcode": "CRM_WEB", "n": n}) + "\n" for n in range(3)))
    status, _, err = run("post-file", str(path), "--local", "--progress", "always")
    assert status == 0
    assert err == f"\r[{'#' * 30}] 3/3\n3 stored, 0 duplicate, 0 refused\n"


def test_file_and_usage_errors_are_one_line(local: None, tmp_path: Path) -> None:
    broken = tmp_path / "broken.ndjson"
    broken.write_text('{"a": 1}\n{"b": \n')
    status, out, err = run("post-file", str(broken), "--local")
    assert (status, out) == (2, "")
    assert err.startswith(f"aaas: error: {broken}:2: not JSON: ") and err.count("\n") == 1
    status, _, err = run("post", str(tmp_path / "nope.json"), "--local")
    assert (status, err) == (2, f"aaas: error: cannot read {tmp_path / 'nope.json'}: No such file or directory\n")
    two = tmp_path / "two.json"
    two.write_text("[{}, {}]")
    status, _, err = run("post", str(two), "--local")
    assert (status, err) == (2, f"aaas: error: post takes exactly one event; {two} holds 2 (use post-file)\n")
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("timestamp,eventtype\nyesterday,LOGIN_SUCCESSFUL\n")
    status, _, err = run("post-file", str(bad_csv), "--local")
    assert (status, err) == (2, f"aaas: error: {bad_csv}:2: timestamp must be a number, not 'yesterday'\n")


def test_an_api_refusal_is_one_line_and_exit_1(local: None, api: respx.MockRouter) -> None:
    api.get(f"{URL}/v1/events/e1").respond(404, json={"status": 404, "errorcode": "NotFound", "message": "no event"})
    status, out, err = run("get", "e1", "--local")
    assert (status, out, err) == (1, "", "aaas: error: GET /v1/events/e1: 404 NotFound: no event\n")


def test_search_merges_every_readable_initiator_in_order(local: None, api: respx.MockRouter) -> None:
    events = {
        "CRM_WEB": [{"eventid": "c2", "timestamp": 3000}, {"eventid": "c1", "timestamp": 1000}],
        "CRM_MBL": [{"eventid": "m1", "timestamp": 2000, "location": {"city": "Oslo"}}],
        "ERP_WEB": [],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["x-api-key"] == "auditor-key"
        assert request.url.params["requestorid"] == "u-1"
        found = events[request.url.params["initiatorsystemcode"]]
        if "cursor" in request.url.params:  # page 2: the rest
            return httpx.Response(200, json={"events": found[1:], "next": None})
        return httpx.Response(200, json={"events": found[:1], "next": "more" if len(found) > 1 else None})

    api.get(f"{URL}/v1/events").mock(side_effect=answer)
    status, out, _ = run("search", "--requestorid", "u-1", "--local", "--format", "json")
    assert status == 0
    assert [event["eventid"] for event in json.loads(out)] == ["c2", "m1", "c1"]
    status, out, _ = run("search", "--requestorid", "u-1", "--local", "--format", "csv")
    assert out.splitlines() == ["eventid,location,timestamp", "c2,,3000", 'm1,"{""city"":""Oslo""}",2000', "c1,,1000"]
    status, out, err = run("search", "--requestorid", "u-1", "--local", "--max", "2")
    assert out.splitlines()[0].split() == list(cli.output.TABLE_COLUMNS)
    assert out.splitlines()[1].split() == ["1970-01-01T00:00:03.000Z", "c2"]
    assert err == "2 event(s)\n"


def test_reindex_runs_the_checkouts_tool_and_outside_a_checkout_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AAAS_PROJECT_DIR", raising=False)
    monkeypatch.chdir(Path(__file__).resolve().parents[2] / "client")  # inside the checkout
    assert cli.main(["reindex", "--help"]) == 0
    assert "--initiator" in capfd.readouterr().out
    monkeypatch.chdir(tmp_path)
    status, out, err = run("reindex", "--local")
    assert status != 0 and out == ""
    assert err.strip().splitlines() == [
        "aaas: error: run this inside the Audit as a Service checkout, or set AAAS_PROJECT_DIR to it"
    ]
