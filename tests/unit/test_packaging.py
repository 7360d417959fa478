"""make package: deterministic zips that import and run in a clean interpreter, like Lambda's."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from package import function_names, host_architecture
from support import FIXTURES, RECORD_KEY, ROOT

pytestmark = pytest.mark.packaging

FUNCTIONS = ["alerting", "digest", "export", "indexer", "ingestion", "query", "transformation"]
# What the Lambda python3.13 runtime provides besides the standard library.
RUNTIME_PACKAGES = ["boto3", "botocore", "s3transfer", "dateutil", "urllib3", "six.py"]


def build(build_dir: Path, architecture: str | None = None, functions: list[str] = FUNCTIONS) -> dict[str, str]:
    # Zips for this machine by default: the import tests below run them here.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--build-dir", str(build_dir),
         "--architecture", architecture or host_architecture(), *functions],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    printed = {Path(line.split()[0]).stem: line.split()[2] for line in result.stdout.splitlines()[1:]}
    assert sorted(printed) == functions
    for name, digest in printed.items():
        actual = base64.b64encode(hashlib.sha256((build_dir / f"{name}.zip").read_bytes()).digest()).decode()
        assert digest == actual, f"printed hash of {name}.zip is not its filebase64sha256"
    return printed


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], dict[str, str]]:
    first_dir, second_dir = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    return first_dir, build(first_dir), build(second_dir)


def test_packaging_discovers_every_function() -> None:
    # A functions/<name>/handler.py is a function: make package builds it without a list to update.
    assert function_names() == FUNCTIONS


def test_rebuilding_gives_byte_identical_zips(builds: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    _, first, second = builds
    assert first == second


def test_zips_hold_runtime_bytecode_and_fixed_metadata(builds: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    build_dir, _, _ = builds
    for name in FUNCTIONS:
        with zipfile.ZipFile(build_dir / f"{name}.zip") as archive:
            infos = archive.infolist()
            pycs = {info.filename: archive.read(info) for info in infos if info.filename.endswith(".pyc")}
        names = [info.filename for info in infos]
        assert names == sorted(names)
        assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in infos} == {0o644}
        assert f"{name}/handler.py" in names
        assert "audit_shared/schemas/audit-event.v1.json" in names
        assert "audit_shared/_schema_v1_validator.py" in names
        # The colon counter built for the zip's architecture; its C source and the checkout's own
        # build (for this machine, whatever the zip's architecture) stay out.
        assert "audit_shared/libaaas_count.so" in names
        assert not [entry for entry in names if entry.endswith(".c")]
        for package in ("aws_lambda_powertools", "fastjsonschema", "orjson", "jsonschema_rs"):
            assert f"{package}/__init__.py" in names
        assert not [entry for entry in names if entry.startswith("boto3/")], "boto3 comes with the runtime"
        other_functions = set(FUNCTIONS) - {name}
        assert not [entry for entry in names if entry.split("/")[0] in other_functions]
        # Exactly one cpython-313 pyc beside every module, none from the build machine's caches.
        expected = {
            f"{folder}{'/' if folder else ''}__pycache__/{module[:-3]}.cpython-313.pyc"
            for folder, _, module in (entry.rpartition("/") for entry in names if entry.endswith(".py"))
        }
        assert set(pycs) == expected
        # Hash-based and unchecked (PEP 552 flags 0b01): no mtime inside, no source hashing at import.
        assert {int.from_bytes(data[4:8], "little") for data in pycs.values()} == {0b01}
        if sys.implementation.cache_tag == "cpython-313":
            assert {data[:4] for data in pycs.values()} == {importlib.util.MAGIC_NUMBER}


ELF_MACHINES = {"arm64": 183, "x86_64": 62}  # e_machine: EM_AARCH64, EM_X86_64


@pytest.mark.parametrize("architecture", sorted(ELF_MACHINES))
def test_architecture_selects_the_native_wheels(tmp_path: Path, architecture: str) -> None:
    build(tmp_path, architecture, ["transformation"])
    with zipfile.ZipFile(tmp_path / "transformation.zip") as archive:
        native = {entry: archive.read(entry) for entry in archive.namelist() if entry.endswith(".so")}
    assert {entry.split("/")[0] for entry in native} == {"orjson", "jsonschema_rs", "msgspec", "audit_shared"}
    assert {int.from_bytes(data[18:20], "little") for data in native.values()} == {ELF_MACHINES[architecture]}


def test_each_zip_stays_under_five_megabytes(builds: tuple[Path, dict[str, str], dict[str, str]]) -> None:
    build_dir, _, _ = builds
    assert {name: (build_dir / f"{name}.zip").stat().st_size <= 5 * 1024 * 1024 for name in FUNCTIONS} == dict.fromkeys(
        FUNCTIONS, True
    )


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


def bytecode_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*.pyc")}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_handler_imports_from_its_zip(
    builds: tuple[Path, dict[str, str], dict[str, str]], runtime_dir: Path, tmp_path: Path, name: str
) -> None:
    build_dir, _, _ = builds
    with zipfile.ZipFile(build_dir / f"{name}.zip") as archive:
        archive.extractall(tmp_path)
    shipped = bytecode_files(tmp_path)
    printed = clean_interpreter(
        tmp_path,
        runtime_dir,
        f"import {name}.handler as h, audit_shared.validation as v, aws_lambda_powertools as p\n"
        "import audit_shared.byte_count as b\n"
        "print(callable(h.lambda_handler), v._explainer().__module__, b.NATIVE, p.__file__)",
    )
    # The zip's own colon counter loads (these zips are for this machine).
    assert printed.split()[:3] == ["True", "audit_shared._schema_v1_validator", "True"]
    assert printed.split()[3].startswith(str(tmp_path))
    # The shipped bytecode was used as is: Python rewrites a cache it cannot use, and none changed.
    assert bytecode_files(tmp_path) == shipped


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
        f"key = {RECORD_KEY!r}\n"
        "print(json.dumps([type(transform(r['data'], 0, policy, 1_800_000_000_000, key)).__name__ for r in event['records']]))",
    )
    assert json.loads(printed) == ["Transformed", "Transformed", "Failed", "Failed"]
