"""The digest function on moto: S3 notifications fill the ledger, the schedule seals signed digests."""

from __future__ import annotations

import base64
import gzip
import hashlib
import time
from typing import Any
from urllib.parse import quote_plus

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import load_der_public_key

from archive_stack import BUCKET, DATA_KEY, ERRORS_KEY, TABLE, ArchiveStack, login_failures
from audit_shared import ledger, merkle, proofs
from audit_shared.events import canonical_bytes
from audit_shared.ledger import LedgerObject
from audit_shared.signing import KmsSigner


def verify_signature(stack: ArchiveStack, sequence: int) -> None:
    body = stack.read(f"digests/{sequence:012d}.json")
    signature = stack.read(f"digests/{sequence:012d}.sig")
    der = stack.kms.get_public_key(KeyId=stack.key_id)["PublicKey"]
    load_der_public_key(der).verify(signature, body, ec.ECDSA(hashes.SHA256()))  # raises if invalid


def test_notifications_record_each_object_version_once(stack: ArchiveStack) -> None:
    key = DATA_KEY.format("a")
    version = stack.put(key, [b'{"a":1}'])
    assert stack.notify(key, version, 10, "etag") == {"recorded": 0, "duplicates": 1, "ignored": 0}
    other = stack.s3.put_object(Bucket=BUCKET, Key="digests/unrelated.txt", Body=b"x")
    assert stack.notify("digests/unrelated.txt", other["VersionId"], 1, "e") == {
        "recorded": 0,
        "duplicates": 0,
        "ignored": 1,
    }
    item = stack.ledger_item(key, version)
    assert item["state"] == {"S": "pending"}
    assert item["objectkey"] == {"S": key} and item["versionid"] == {"S": version}
    assert "pendingsince" in item


def test_s3_events_through_eventbridge_are_recorded_too(stack: ArchiveStack) -> None:
    key = DATA_KEY.format("bridged")
    version = stack.put(key, [b'{"a":1}'], notify=False)
    event = {
        "version": "0",
        "source": "aws.s3",
        "detail-type": "Object Created",
        "time": "2026-11-01T09:05:02Z",
        "detail": {
            "bucket": {"name": BUCKET},
            # URL-encoded, as the S3 notifications are ('=' as %3D)
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": 27,
                "etag": "e",
                "version-id": version,
                "sequencer": "00",
            },
        },
    }
    assert stack.handler.lambda_handler(event, stack.context) == {"recorded": 1, "duplicates": 0, "ignored": 0}
    assert stack.ledger_item(key, version)["eventtime"] == {"S": "2026-11-01T09:05:02Z"}


def test_seal_writes_a_signed_digest_of_every_pending_object(
    stack: ArchiveStack, examples: dict[str, dict[str, Any]]
) -> None:
    first, second = login_failures(examples, 3), login_failures(examples, 2, offset=10)
    version_b = stack.put_events(DATA_KEY.format("b"), first)
    version_a = stack.put_events(DATA_KEY.format("a"), second)
    error_lines = [b'{"attemptsMade":1,"errorCode":"Lambda.FunctionError","rawData":"e30="}']
    version_e = stack.put(ERRORS_KEY.format("e"), error_lines)

    result = stack.seal()

    assert result == {"digest": "digests/000000000001.json", "sequence": 1, "objects": 3, "events": 6}
    document = stack.digest(1)
    assert [(item["key"], item["versionid"], item["events"]) for item in document["objects"]] == [
        (DATA_KEY.format("a"), version_a, 2),
        (DATA_KEY.format("b"), version_b, 3),
        (ERRORS_KEY.format("e"), version_e, 1),
    ]
    leaves = [canonical_bytes(event) for event in second + first] + error_lines
    assert document["tree"]["size"] == 6
    assert document["tree"]["root"] == merkle.root(leaves).hex()
    assert document["previous"] is None
    assert document["totalevents"] == 6
    assert document["signature"] == {"keyid": stack.key_id, "algorithm": "ECDSA_SHA_256", "messagetype": "RAW"}
    stored = stack.s3.get_object(Bucket=BUCKET, Key=DATA_KEY.format("a"))["Body"].read()
    assert document["objects"][0]["sha256"] == hashlib.sha256(stored).hexdigest()
    verify_signature(stack, 1)
    for key in ("digests/000000000001.json", "digests/000000000001.sig"):
        head = stack.s3.head_object(Bucket=BUCKET, Key=key)
        assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", stack.archive_key_id)
    item = stack.ledger_item(DATA_KEY.format("a"), version_a)
    assert item["state"] == {"S": "sealed"}
    assert item["digestkey"] == {"S": "digests/000000000001.json"}
    assert "pendingsince" not in item
    assert stack.dynamodb.scan(TableName=TABLE, IndexName=ledger.PENDING_INDEX)["Items"] == []


def test_an_empty_period_still_gets_a_linked_digest(stack: ArchiveStack, examples: dict[str, dict[str, Any]]) -> None:
    stack.put_events(DATA_KEY.format("a"), login_failures(examples, 4))
    stack.seal(offset_ms=-5000)
    assert stack.seal(offset_ms=-1000) == {
        "digest": "digests/000000000002.json",
        "sequence": 2,
        "objects": 0,
        "events": 0,
    }
    first, second = stack.digest(1), stack.digest(2)
    body = stack.read("digests/000000000001.json")
    assert second["previous"] == {
        "key": "digests/000000000001.json",
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    assert second["periodstart"] == first["periodend"]
    assert second["objects"] == []
    assert second["tree"]["root"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert second["totalevents"] == 4
    verify_signature(stack, 2)


def test_a_seal_backs_off_while_another_holds_the_lease(stack: ArchiveStack) -> None:
    assert ledger.claim(stack.dynamodb, TABLE, None, "other-invocation", time.time_ns() // 1_000_000, 900_000)
    assert stack.seal() == {"skipped": True}
    assert stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="digests/").get("KeyCount") == 0


class FailingMarks:
    """DynamoDB that fails when marking items sealed: a crash after the head advanced."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def update_item(self, **request: Any) -> Any:
        if request.get("ConditionExpression") == "#state = :pending":
            raise ConnectionError("network went away")
        return self.real.update_item(**request)


def test_a_crash_after_the_head_moved_never_seals_an_object_twice(
    stack: ArchiveStack, examples: dict[str, dict[str, Any]]
) -> None:
    key = DATA_KEY.format("a")
    version = stack.put_events(key, login_failures(examples, 2))
    clients = stack.handler.clients()
    stack.monkeypatch.setattr(clients, "dynamodb", FailingMarks(clients.dynamodb))
    with pytest.raises(ConnectionError):
        stack.seal(offset_ms=-5000)
    assert stack.ledger_item(key, version)["state"] == {"S": "pending"}
    stack.monkeypatch.setattr(clients, "dynamodb", clients.dynamodb.real)

    assert stack.seal(offset_ms=-1000)["objects"] == 0
    assert stack.ledger_item(key, version)["digestkey"] == {"S": "digests/000000000001.json"}
    assert [item["key"] for item in stack.digest(1)["objects"]] == [key]


class BrokenKms:
    def sign(self, **_: Any) -> Any:
        raise ConnectionError("KMS is unreachable")


def test_a_failed_seal_gives_the_lease_back(stack: ArchiveStack, examples: dict[str, dict[str, Any]]) -> None:
    stack.put_events(DATA_KEY.format("a"), login_failures(examples, 1))
    clients = stack.handler.clients()
    real_kms = clients.kms
    stack.monkeypatch.setattr(clients, "kms", BrokenKms())
    with pytest.raises(ConnectionError):
        stack.seal()
    assert stack.s3.list_objects_v2(Bucket=BUCKET, Prefix="digests/").get("KeyCount") == 0
    stack.monkeypatch.setattr(clients, "kms", real_kms)
    assert stack.seal()["sequence"] == 1


def test_an_object_deleted_before_sealing_is_sealed_as_missing(stack: ArchiveStack) -> None:
    key = DATA_KEY.format("a")
    version = stack.put(key, [b'{"a":1}'])
    stack.s3.delete_object(Bucket=BUCKET, Key=key, VersionId=version)
    stack.seal()
    [entry] = stack.digest(1)["objects"]
    assert entry["sha256"] is None and entry["events"] == 0
    assert entry["unreadable"].startswith("NoSuch")


class LocalKms:
    """KMS Sign as AWS documents it, with a local key: moto 5.2.5 hashes DIGEST messages a second time."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.message_types: list[str] = []

    def sign(self, KeyId: str, Message: bytes, MessageType: str, SigningAlgorithm: str) -> dict[str, Any]:
        assert SigningAlgorithm == "ECDSA_SHA_256"
        self.message_types.append(MessageType)
        if MessageType == "DIGEST":
            assert len(Message) == 32
            return {"Signature": self.key.sign(Message, ec.ECDSA(Prehashed(hashes.SHA256())))}
        assert len(Message) <= 4096, "KMS refuses RAW messages over 4096 bytes"
        return {"Signature": self.key.sign(Message, ec.ECDSA(hashes.SHA256()))}


@pytest.mark.parametrize("size", [10, 4096, 4097, 200_000])
def test_documents_of_any_size_are_signed_over_their_exact_bytes(size: int) -> None:
    kms = LocalKms()
    message = b"x" * size
    signature = KmsSigner(kms, "key-arn").sign(message)
    kms.key.public_key().verify(signature, message, ec.ECDSA(hashes.SHA256()))  # raises if invalid
    assert kms.message_types == ["RAW" if size <= 4096 else "DIGEST"]


def test_an_undecodable_object_is_sealed_by_its_bytes(stack: ArchiveStack) -> None:
    key = DATA_KEY.format("broken")
    body = gzip.compress(b'{"a":1}\n')[:-6]  # truncated gzip stream
    version = stack.s3.put_object(Bucket=BUCKET, Key=key, Body=body)["VersionId"]
    stack.notify(key, version, len(body), "e")
    stack.seal()
    [entry] = stack.digest(1)["objects"]
    assert entry["events"] == 0 and entry["sha256"] and "gzip" in entry["unreadable"]


# --- proofs for the GET /v1/events/{id}/proof route ------------------------------------------------


def test_proof_for_a_sealed_event_verifies_against_the_signed_root(
    stack: ArchiveStack, examples: dict[str, dict[str, Any]]
) -> None:
    batch = login_failures(examples, 5)
    key = "data/initiatorsystemcode=CRM_WEB/eventtype=LOGIN_FAILED/year=2026/month=11/day=01/s-1.gz"
    stack.put_events(key, batch)
    stack.put_events(DATA_KEY.format("z"), login_failures(examples, 3, offset=100))
    stack.seal()

    result = proofs.proof_for_event(stack.handler.clients(), BUCKET, TABLE, batch[3], 0, 60)

    assert isinstance(result, proofs.Proof)
    proof = result.document
    assert proof["eventid"] == batch[3]["eventid"]
    assert proof["object"]["key"] == key and proof["object"]["line"] == 4
    assert proof["treesize"] == 8
    document = stack.digest(1)
    assert proof["digest"] == stack.read("digests/000000000001.json").decode()
    assert base64.b64decode(proof["signature"]) == stack.read("digests/000000000001.sig")
    path = [bytes.fromhex(item) for item in proof["auditpath"]]
    leaf = merkle.leaf_hash(canonical_bytes(batch[3]))
    assert merkle.verify_inclusion(leaf, proof["leafindex"], 8, path, bytes.fromhex(document["tree"]["root"]))


def test_proof_before_sealing_says_when_sealing_is_expected(
    stack: ArchiveStack, examples: dict[str, dict[str, Any]]
) -> None:
    stack.put_events(DATA_KEY.format("a"), login_failures(examples, 1))
    stack.seal()
    late = login_failures(examples, 1, offset=50)
    stack.put_events(DATA_KEY.format("b"), late)
    head = ledger.read_head(stack.dynamodb, TABLE)
    assert head is not None

    result = proofs.proof_for_event(stack.handler.clients(), BUCKET, TABLE, late[0], 0, 60)

    assert result == proofs.Pending(head.periodend_ms + 60 * 60_000)
    unknown = login_failures(examples, 1, offset=99)[0]
    assert isinstance(
        proofs.proof_for_event(stack.handler.clients(), BUCKET, TABLE, unknown, 0, 60), proofs.NotArchived
    )


def test_ledger_objects_sort_and_key_by_key_then_version() -> None:
    item = LedgerObject("data/x.gz", "v1", 10, "e", "2026-11-01T09:00:00.000Z")
    assert item.pk == "object#data/x.gz#v1"
