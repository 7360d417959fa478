"""make report: every report over a fixture archive of known events, the dialects, the CLI and the generated Athena inputs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import report
from archive_fixture import archive_objects, write_archive
from report_events import COMPARED, DAY, HOUR, compared, expected, known_events
from reporting import archive, columns, sql, terraform_inputs

from audit_shared.events import enrich
from support import ROOT

BASE = 1_793_491_200_000  # 2026-11-01T00:00:00Z
TAG = "t1"


@pytest.fixture
def archive_dir(tmp_path: Path, examples: dict) -> Path:
    """The known events archived as Firehose would, plus noise outside the two days."""
    events = [enrich(raw, received_ms=raw["timestamp"] + 7) for raw in known_events(examples, BASE, TAG)]
    noise = known_events(examples, BASE - 3 * DAY, TAG) + known_events(examples, BASE + 5 * DAY, TAG)
    events += [enrich(raw, received_ms=raw["timestamp"] + 7) for raw in noise]
    return write_archive(tmp_path / "copy", archive_objects(events, per_object=3))


def run(name: str, directory: Path, **window: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    return report.run_report(name, directory, sql.Window(**window))


@pytest.mark.parametrize("name", sorted(COMPARED))
def test_every_report_gives_the_known_numbers(name: str, archive_dir: Path) -> None:
    names, rows = run(name, archive_dir, from_ms=BASE, to_ms=BASE + 2 * DAY - 1)
    assert compared(names, rows, name) == expected(BASE, TAG)[name]


def test_the_initiator_and_the_period_narrow_the_report(archive_dir: Path) -> None:
    names, rows = run("failed_logins_per_requestor_per_day", archive_dir, from_ms=BASE + DAY, to_ms=BASE + 2 * DAY - 1,
                      initiator="CRM_WEB")  # fmt: skip
    assert compared(names, rows, "failed_logins_per_requestor_per_day") == [("2026-11-02", "CRM_WEB", "t1-r1", 1)]
    # Exact bounds inside a day: only the first two of r1's three failed logins on day 1.
    names, rows = run("failed_logins_per_requestor_per_day", archive_dir, from_ms=BASE, to_ms=BASE + 2 * HOUR,
                      initiator="CRM_WEB")  # fmt: skip
    assert compared(names, rows, "failed_logins_per_requestor_per_day") == [("2026-11-01", "CRM_WEB", "t1-r1", 2)]


def test_without_a_period_the_whole_archive_counts(archive_dir: Path) -> None:
    names, rows = run("events_per_initiator_per_day", archive_dir)
    assert sum(row[names.index("events")] for row in rows) == 3 * 21
    assert len(rows) == 3 * 4


def test_report_columns_and_times(archive_dir: Path) -> None:
    names, rows = run("privilege_escalations", archive_dir, from_ms=BASE, to_ms=BASE + 2 * DAY - 1)
    assert names == [
        "event_time",
        "initiatorsystemcode",
        "requestorid",
        "affecteduserid",
        "rolename",
        "requestorip",
        "eventid",
    ]
    assert [row[0] for row in rows] == [
        "2026-11-01T09:00:00.000Z",
        "2026-11-02T03:00:00.000Z",
        "2026-11-02T04:00:00.000Z",
    ]
    names, rows = run("document_downloads_by_requestor", archive_dir, from_ms=BASE, to_ms=BASE + 2 * DAY - 1)
    assert rows[0][names.index("first_download")] == "2026-11-01T10:00:00.000Z"
    assert rows[0][names.index("last_download")] == "2026-11-02T11:00:00.000Z"


def test_partitions_outside_the_period_are_never_read(archive_dir: Path) -> None:
    # A corrupt object outside the period: pruned, the report runs; inside the period: the read fails.
    outside = archive_dir / "data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN_FAILED/year=2026/month=10/day=01/bad.gz"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(gzip.compress(b"not json\n"))
    _, rows = run("failed_logins_per_requestor_per_day", archive_dir, from_ms=BASE, to_ms=BASE + 2 * DAY - 1)
    assert len(rows) == 4
    with pytest.raises(duckdb.Error, match=r"(?i)json"):
        run("failed_logins_per_requestor_per_day", archive_dir, from_ms=BASE - 40 * DAY, to_ms=BASE)


def test_an_empty_archive_gives_empty_reports(tmp_path: Path) -> None:
    for name in COMPARED:
        names, rows = run(name, tmp_path)
        assert rows == [] and names


# --- dialects ---------------------------------------------------------------------------------


def test_the_dialects_differ_only_in_the_macros() -> None:
    template = 'SELECT {{iso_time("timestamp")}} FROM {{events}} WHERE {{where}}'
    assert sql.render(template, "duckdb", "events", sql.Window(1000, 2000, "CRM_WEB")) == (
        "SELECT strftime(epoch_ms(CAST(\"timestamp\" AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%gZ') FROM events WHERE "
        "(initiatorsystemcode = 'CRM_WEB' AND year || month || day >= '19700101' AND \"timestamp\" >= 1000 "
        "AND year || month || day <= '19700101' AND \"timestamp\" <= 2000)"
    )
    assert sql.render(template, "athena", '"db"."events"') == (
        "SELECT format_datetime(from_unixtime(CAST(\"timestamp\" AS DOUBLE) / 1000) AT TIME ZONE 'UTC', "
        "'yyyy-MM-dd''T''HH:mm:ss.SSS''Z''') FROM \"db\".\"events\" WHERE "
        "(initiatorsystemcode = ? AND year || month || day BETWEEN ? AND ?)"
    )
    assert (
        sql.render("SELECT 1 FROM {{events}} WHERE {{where}}", "duckdb", "events")
        == "SELECT 1 FROM events WHERE (TRUE)"
    )
    with pytest.raises(ValueError, match="unknown macro"):
        sql.render("SELECT {{nope}}", "duckdb", "events")
    with pytest.raises(ValueError, match="not an initiator system code"):
        sql.Window(initiator="x' OR 1=1 --")


def test_every_report_renders_for_athena_with_its_three_parameters() -> None:
    for name, item in sql.reports().items():
        text = sql.render(item.template, "athena", '"db"."events"')
        assert text.count("?") == 3, name
        assert "{{" not in text and "strftime" not in text and "epoch_ms" not in text, name


# --- the generated Athena inputs --------------------------------------------------------------


def test_the_checked_in_analytics_inputs_are_what_the_schema_and_sql_give() -> None:
    assert terraform_inputs.TARGET.read_text(encoding="utf-8") == terraform_inputs.text(), (
        "terraform/modules/analytics/archive_table.json is stale: run `make analytics-inputs`"
    )


def test_the_columns_come_from_the_schema() -> None:
    schema = json.loads((ROOT / "functions/audit_shared/schemas/audit-event.v1.json").read_text())
    generated = dict(columns.data_columns())
    assert set(generated) == set(schema["properties"]) - {"initiatorsystemcode", "eventtype"}
    assert generated["timestamp"] == "bigint" and generated["otpexpirationtime"] == "bigint"
    assert generated["location"] == "struct<city:string,country:string,latitude:double,longitude:double,region:string>"
    assert generated["details"] == "string" and generated["documentsize"] == "bigint"
    assert [name for name, _ in columns.PARTITION_COLUMNS] == [
        "initiatorsystemcode",
        "eventtype",
        "year",
        "month",
        "day",
    ]
    with pytest.raises(columns.UnmappedSchemaError, match="x: type 'array'"):
        columns.glue_type("x", {"type": "array"}, {})


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_formats(archive_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    window = ["--from", "2026-11-01", "--to", "2026-11-02", "--dir", str(archive_dir)]
    assert report.main(["document_downloads_by_requestor", *window]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "initiatorsystemcode",
        "requestorid",
        "downloads",
        "documents",
        "first_download",
        "last_download",
    ]
    assert table[2].split()[:4] == ["CRM_WEB", "t1-r1", "3", "2"] and table[-1] == "(2 rows)"
    assert report.main(["events_per_initiator_per_day", *window, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "initiatorsystemcode,event_day,events",
        "CRM_MBL,2026-11-01,1",
        "CRM_MBL,2026-11-02,1",
        "CRM_WEB,2026-11-01,12",
        "CRM_WEB,2026-11-02,7",
    ]
    assert report.main(["events_per_initiator_per_day", *window, "--initiator", "CRM_MBL", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"initiatorsystemcode": "CRM_MBL", "event_day": "2026-11-01", "events": 1},
        {"initiatorsystemcode": "CRM_MBL", "event_day": "2026-11-02", "events": 1},
    ]


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["nope"], "report: unknown report 'nope'; the reports are: "),
        (
            ["privilege_escalations", "--from", "yesterday"],
            "report: --from 'yesterday' is not epoch milliseconds or ISO 8601",
        ),
        (["privilege_escalations", "--from", "2026-11-02", "--to", "2026-11-01"], "report: FROM is after TO"),
        (["privilege_escalations", "--initiator", "crm"], "report: initiator 'crm' is not an initiator system code"),
        (["privilege_escalations", "--format", "xml"], "report: argument --format: invalid choice: 'xml'"),
        (["privilege_escalations", "--dir", "/nonexistent"], "report: /nonexistent is not a directory"),
        ([], "report: name a report (--list shows them)"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(reason) and err.count("\n") == 1


def test_the_glob_reads_exactly_the_partition_depth(tmp_path: Path, examples: dict) -> None:
    events = [enrich(raw, received_ms=raw["timestamp"] + 7) for raw in known_events(examples, BASE, TAG)]
    directory = write_archive(tmp_path, archive_objects(events))
    (directory / "data" / "stray.txt").write_text("not an object of the archive")
    names, rows = run("events_per_initiator_per_day", directory)
    assert sum(row[names.index("events")] for row in rows) == 21
    assert archive.DATA_GLOB == "data/*/*/*/*/*/*"
