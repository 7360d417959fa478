"""make package: deterministic zips that import and run in a clean interpreter, like Lambda's."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from support import FIXTURES, ROOT

pytestmark = pytest.mark.packaging

FUNCTIONS = ["alerting", "digest", "ingestion", "transformation"]
# What the Lambda python3.13 runtime provides besides the standard library.
RUNTIME_PACKAGES = ["boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six.py"]


def build(build_dir: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--build-dir", str(build_dir)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    printed = {Path(line.split()[0]).stem: line.split()[2] for line in result.stdout.splitlines()[1:]}
    assert sorted(printed) == FUNCTIONS
    for name, digest in printed.items():
        actual = base64.b64encode(hashlib.sha256((build_dir / f"{name}.zip").read_bytes()).digest()).decode()
        assert digest == actual, f"printed hash of {name}.zip is not its filebase64sha256"
    return printed


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    first_dir, second_dir = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return first_dir, build(first_dir), build(second_dir)


def test_rebuilding_gives_byte_identical_zips(builds: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    _, first, second = builds
    assert first == second


def test_zips_hold_no_bytecode_and_fixed_metadata(builds: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    build_dir, _, _ = builds
    for name in FUNCTIONS:
        with zipfile.ZipFile(build_dir / f"{name}.zip") as archive:
            infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names)
        assert not [entry for entry in names if "__pycache__" in entry or entry.endswith(".pyc")]
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} == {0o644}
        assert f"{name}/handler.py" in names
        assert "audit_shared/schemas/audit-event.v1.json" in names
        assert "audit_shared/_schema_v1_validator.py" in names
        assert "aws_lambda_powertools/__init__.py" in names and "fastjsonschema/__init__.py" in names
        assert not [entry for entry in names if entry.startswith("boto3/")], "boto3 comes with the runtime"
        other_functions = set(FUNCTIONS) - {name}
        assert not [entry for entry in names if entry.split("/")[0] in other_functions]


def clean_interpreter(code_dir: Path, runtime_dir: Path, script: str) -> str:
    """Run a script the way Lambda would: isolated, with only the code and the runtime's packages."""
    bootstrap = f"import sys; sys.path[:0] = [{str(code_dir)!r}, {str(runtime_dir)!r}]\n"
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", bootstrap + script],
        capture_output=True, text=True, check=False, cwd=code_dir,
        env={"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_NAMESPACE": "AuditService",
             "ALLOWED_INITIATOR_CODES": '["CRM_WEB", "ERP_WEB"]'},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def runtime_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runtime = tmp_path_factory.mktemp("runtime")
    site_packages = Path(sysconfig.get_paths()["purelib"])
    for package in RUNTIME_PACKAGES:
        (runtime / package).symlink_to(site_packages / package)
    return runtime


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_handler_imports_from_its_zip(
    builds: tuple[Path, dict[str, str], dict[str, str]], runtime_dir: Path, tmp_path: Path, name: str
) -> None:
    build_dir, _, _ = builds
    with zipfile.ZipFile(build_dir / f"{name}.zip") as archive:
        archive.extractall(tmp_path)
    printed = clean_interpreter(
        tmp_path,
        runtime_dir,
        f"import {name}.handler as h, audit_shared.validation as v, aws_lambda_powertools as p\n"
        "print(callable(h.lambda_handler), v._validate_schema.__module__, p.__file__)",
    )
    assert printed.split()[:2] == ["True", "audit_shared._schema_v1_validator"]
    assert printed.split()[2].startswith(str(tmp_path))


def test_transformation_runs_from_its_zip_with_the_precompiled_validator(
    builds: tuple[Path, dict[str, str], dict[str, str]], runtime_dir: Path, tmp_path: Path
) -> None:
    build_dir, _, _ = builds
    with zipfile.ZipFile(build_dir / "transformation.zip") as archive:
        archive.extractall(tmp_path)
    event = (FIXTURES / "firehose_transformation_event.json").read_text()
    printed = clean_interpreter(
        tmp_path,
        runtime_dir,
        "import json, transformation.handler as h\n"
        "from transformation.records import transform\n"
        "from audit_shared.validation import EventPolicy\n"
        f"event = json.loads({event!r})\n"
        "policy = EventPolicy(frozenset({'CRM_WEB', 'ERP_WEB'}))\n"
        "print(json.dumps([type(transform(r['data'], 0, policy, 1_800_000_000_000)).__name__ for r in event['records']]))",
    )
    assert json.loads(printed) == ["Transformed", "Transformed", "Failed", "Failed"]
