"""``verify.py`` against archives sealed by the real digest function on moto, then tampered with."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import verify
from archive_stack import BUCKET, DATA_KEY, TABLE, ArchiveStack, login_failures
from audit_shared import proofs


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    """verify.py with --json: exit code and the report."""
    capsys.readouterr()  # drop what the digest function logged before
    code = verify.main([*args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def problems(report: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(item["kind"], item.get("key") or item.get("digest")) for item in report["findings"]}


@pytest.fixture
def sealed(stack: ArchiveStack, examples: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Two digests: three objects in the first, one in the second."""
    first = {DATA_KEY.format(name): login_failures(examples, 4, offset=10 * n) for n, name in enumerate("abc")}
    for key, batch in first.items():
        stack.put_events(key, batch)
    stack.seal(offset_ms=-6000)
    stack.put_events(DATA_KEY.format("d"), login_failures(examples, 2, offset=100))
    stack.seal(offset_ms=-3000)
    return first


def test_sealed_archive_verifies(stack: ArchiveStack, sealed: dict, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run(capsys, "--bucket", BUCKET, "--quiet")
    assert code == 0, report
    assert report["ok"] is True
    assert report["summary"] == {"digests": 2, "objects": 4, "events": 14, "bytes": report["summary"]["bytes"],
                                 "failures": 0, "pending": 0}  # fmt: skip

    assert verify.main(["--bucket", BUCKET, "--quiet"]) == 0
    assert capsys.readouterr().out.strip().startswith(f"OK: s3://{BUCKET}: 2 digest(s), 4 object(s), 14 event(s)")


def test_overwritten_object_is_named_with_its_changed_line(
    stack: ArchiveStack, sealed: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    key = DATA_KEY.format("b")
    batch = sealed[key]
    batch[2] = {**batch[2], "requestorid": "u-forged"}
    new_version = stack.put_events(key, batch, notify=False)

    code, report = run(capsys, "--bucket", BUCKET, "--quiet")

    assert code == 1
    [finding] = [item for item in report["findings"] if item["severity"] == "failure"]
    assert finding["kind"] == "object-changed" and finding["key"] == key
    assert finding["digest"] == "digests/000000000001.json"
    assert f"now version {new_version}" in finding["message"]
    assert finding["lines"] == [{"line": 3, "leaf": 6, "change": "changed"}]
    verify.main(["--bucket", BUCKET, "--quiet"])
    text = capsys.readouterr().out
    assert f"FAIL object-changed: {key} changed after sealing" in text
    assert "line 3 (leaf 6): changed" in text


def test_deleted_digest_is_named_as_a_gap(
    stack: ArchiveStack, sealed: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    stack.s3.delete_object(Bucket=BUCKET, Key="digests/000000000001.json")
    stack.seal(offset_ms=+5000)  # a later period, so the first period's objects are past any grace

    code, report = run(capsys, "--bucket", BUCKET, "--quiet", "--grace-seconds", "0")

    assert code == 1
    messages = [item["message"] for item in report["findings"] if item["kind"] == "digest-missing"]
    assert messages == ["digests/000000000001.json is missing from the chain; digests/000000000002.json links to it"]
    # The objects only that digest sealed are no longer covered by the chain.
    assert {key for kind, key in problems(report) if kind == "object-never-sealed"} == set(sealed)


def test_object_added_after_sealing_is_reported_unsealed_not_valid(
    stack: ArchiveStack, sealed: dict, capsys: pytest.CaptureFixture[str], examples: dict
) -> None:
    late = DATA_KEY.format("late")
    stack.put_events(late, login_failures(examples, 1, offset=500))

    code, report = run(capsys, "--bucket", BUCKET, "--quiet", "--grace-seconds", "0")

    assert code == 0
    [finding] = report["findings"]
    assert (finding["kind"], finding["key"], finding["severity"]) == ("object-unsealed", late, "pending")
    assert report["summary"]["objects"] == 4  # the late object is not counted as verified
    verify.main(["--bucket", BUCKET, "--quiet", "--grace-seconds", "0"])
    text = capsys.readouterr().out
    assert f"PENDING object-unsealed: {late} was created after the newest digest: not sealed yet" in text
    assert "1 object(s) not sealed yet" in text


def test_object_the_ledger_never_saw_is_never_sealed(
    stack: ArchiveStack, capsys: pytest.CaptureFixture[str], examples: dict
) -> None:
    missed = DATA_KEY.format("missed")
    stack.put_events(missed, login_failures(examples, 1), notify=False)
    stack.seal(offset_ms=+5000)
    code, report = run(capsys, "--bucket", BUCKET, "--quiet", "--grace-seconds", "0")
    assert code == 1
    assert problems(report) == {("object-never-sealed", missed)}


def test_deleted_object_and_forged_signature(
    stack: ArchiveStack, sealed: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    deleted = DATA_KEY.format("a")
    stack.s3.delete_object(Bucket=BUCKET, Key=deleted)
    forger = ec.generate_private_key(ec.SECP256R1())
    body = stack.read("digests/000000000002.json")
    from cryptography.hazmat.primitives import hashes

    stack.s3.put_object(
        Bucket=BUCKET, Key="digests/000000000002.sig", Body=forger.sign(body, ec.ECDSA(hashes.SHA256()))
    )

    code, report = run(capsys, "--bucket", BUCKET, "--quiet")

    assert code == 1
    assert ("object-deleted", deleted) in problems(report)
    assert ("digest-signature-invalid", "digests/000000000002.json") in problems(report)


def test_offline_copy_with_a_pem_key_gives_the_online_result(
    stack: ArchiveStack, sealed: dict, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pem = stack.public_key_pem(tmp_path / "digest-key.pem")
    clean_online = run(capsys, "--bucket", BUCKET, "--quiet")
    clean_offline = run(capsys, "--dir", str(stack.download(tmp_path / "clean")), "--key", str(pem), "--quiet")
    assert clean_online[0] == clean_offline[0] == 0
    assert clean_online[1]["summary"] == clean_offline[1]["summary"]

    key = DATA_KEY.format("c")
    stack.put(key, [b'{"forged":true}'], notify=False)
    stack.s3.delete_object(Bucket=BUCKET, Key="digests/000000000002.json")
    online = run(capsys, "--bucket", BUCKET, "--key", str(pem), "--quiet")
    offline = run(capsys, "--dir", str(stack.download(tmp_path / "tampered")), "--key", str(pem), "--quiet")
    assert online[0] == offline[0] == 1
    assert problems(online[1]) == problems(offline[1])
    assert ("object-changed", key) in problems(offline[1])


def test_usage_and_access_errors_exit_2(
    stack: ArchiveStack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert verify.main(["--dir", str(tmp_path)]) == 2
    assert "needs the public key" in capsys.readouterr().err
    assert verify.main(["--bucket", "no-such-bucket", "--quiet"]) == 2
    assert "cannot list s3://no-such-bucket" in capsys.readouterr().err
    assert verify.main(["--dir", str(tmp_path), "--key", str(tmp_path / "missing.pem")]) == 2
    with pytest.raises(SystemExit) as exit_info:
        verify.main([])
    assert exit_info.value.code == 2


# --- verify-event ----------------------------------------------------------------------------------


@pytest.fixture
def proof_files(
    stack: ArchiveStack, sealed: dict, tmp_path: Path
) -> tuple[dict[str, Any], dict[str, Any], Path, Path, Path]:
    key = DATA_KEY.format("b")
    event = sealed[key][1]
    result = proofs.proof_for_event(stack.handler.clients(), BUCKET, TABLE, event, 0, 60)
    assert isinstance(result, proofs.Proof)
    pem = stack.public_key_pem(tmp_path / "key.pem")
    return event, result.document, tmp_path / "event.json", tmp_path / "proof.json", pem


def check(
    capsys: pytest.CaptureFixture[str], files: tuple, event: Any, proof: Any, pem: Path | None = None
) -> tuple[int, dict[str, Any]]:
    _, _, event_path, proof_path, default_pem = files
    event_path.write_text(json.dumps(event, indent=2) if isinstance(event, dict) else event)
    proof_path.write_text(json.dumps(proof))
    return run(capsys, "verify-event", str(event_path), str(proof_path), "--key", str(pem or default_pem))


def test_verify_event_passes_offline_with_only_the_public_key(
    proof_files: tuple, capsys: pytest.CaptureFixture[str]
) -> None:
    event, proof = proof_files[0], proof_files[1]
    code, report = check(capsys, proof_files, event, proof)
    assert code == 0, report
    assert report["findings"] == []


def test_verify_event_fails_after_one_byte_of_the_event_changes(
    proof_files: tuple, capsys: pytest.CaptureFixture[str]
) -> None:
    event, proof = proof_files[0], proof_files[1]
    text = json.dumps(event)
    position = text.index(event["requestorid"])
    tampered = text[:position] + chr(ord(text[position]) ^ 1) + text[position + 1 :]
    code, report = check(capsys, proof_files, tampered, proof)
    assert code == 1
    [finding] = report["findings"]
    assert finding["kind"] == "leaf-mismatch"
    assert f"does not match leaf {proof['leafindex']} of digests/000000000001.json" in finding["message"]


@pytest.mark.parametrize("tamper", ["drop-path-hash", "extra-path-hash", "wrong-index", "wrong-size", "flip-path"])
def test_verify_event_refuses_a_forged_proof(
    proof_files: tuple, capsys: pytest.CaptureFixture[str], tamper: str
) -> None:
    event, proof = proof_files[0], dict(proof_files[1])
    path = list(proof["auditpath"])
    if tamper == "drop-path-hash":
        proof["auditpath"] = path[:-1]
    elif tamper == "extra-path-hash":
        proof["auditpath"] = [*path, path[0]]
    elif tamper == "wrong-index":
        proof["leafindex"] += 1
    elif tamper == "wrong-size":
        proof["treesize"] += 1
    else:
        proof["auditpath"] = [("0" if path[0][0] != "0" else "1") + path[0][1:], *path[1:]]
    code, report = check(capsys, proof_files, event, proof)
    assert code == 1, report


def test_verify_event_refuses_another_key(
    proof_files: tuple, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    other.write_bytes(key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    code, report = check(capsys, proof_files, proof_files[0], proof_files[1], other)
    assert code == 1
    assert [item["kind"] for item in report["findings"]] == ["digest-signature-invalid"]


def test_verify_event_refuses_a_digest_edited_inside_the_proof(
    proof_files: tuple, capsys: pytest.CaptureFixture[str]
) -> None:
    proof = dict(proof_files[1])
    proof["digest"] = proof["digest"].replace('"totalevents":', '"totalevents":1')
    assert proof["digest"] != proof_files[1]["digest"]
    code, report = check(capsys, proof_files, proof_files[0], proof)
    assert code == 1
    assert [item["kind"] for item in report["findings"]] == ["digest-signature-invalid"]
    assert base64.b64decode(proof["signature"])
