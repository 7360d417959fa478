"""Public keys for digest signatures: a PEM file the auditor holds, or kms:GetPublicKey."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from aaas.verifier.findings import AccessError

# key id named by a digest -> the public key to check it with
KeyLookup = Callable[[str], ec.EllipticCurvePublicKey]


def _ec_key(key: Any, where: str) -> ec.EllipticCurvePublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise AccessError(f"{where} is not an ECC NIST P-256 public key")
    return key


def pem_public_key(pem: bytes, where: str) -> ec.EllipticCurvePublicKey:
    """An ECC NIST P-256 public key from PEM bytes; AccessError names ``where`` otherwise."""
    try:
        return _ec_key(load_pem_public_key(pem), where)
    except ValueError as exc:
        raise AccessError(f"cannot read the public key {where}: {exc}") from exc


def pem_key(path: Path) -> KeyLookup:
    """One key for every digest: the auditor's copy, independent of the account."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise AccessError(f"cannot read the public key {path}: {exc}") from exc
    key = pem_public_key(pem, str(path))
    return lambda _key_id: key


def kms_keys(client: Any) -> KeyLookup:
    """kms:GetPublicKey for the key id each digest names (cached per id)."""
    # botocore only on this online path: the SDK installs without it.
    from botocore.exceptions import BotoCoreError, ClientError

    cache: dict[str, ec.EllipticCurvePublicKey] = {}

    def lookup(key_id: str) -> ec.EllipticCurvePublicKey:
        if key_id not in cache:
            try:
                der = client.get_public_key(KeyId=key_id)["PublicKey"]
            except (ClientError, BotoCoreError) as exc:
                raise AccessError(f"kms:GetPublicKey {key_id} failed: {exc}") from exc
            cache[key_id] = _ec_key(load_der_public_key(der), f"KMS key {key_id}")
        return cache[key_id]

    return lookup


def signature_valid(key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    """ECDSA_SHA_256 over the exact message bytes; KMS returns the signature DER-encoded."""
    try:
        key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True
