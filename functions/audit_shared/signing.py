"""Signing with an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY): the digests and the export manifests.

Each purpose has its own key that only its function's role may use. The private key never leaves
KMS, so the functions need no cryptography library; ``scripts/verify.py`` and
``scripts/verifier/export.py`` check the DER-encoded ECDSA signature with the public key
(kms:GetPublicKey or a PEM file).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from audit_shared.digests import SIGNING_ALGORITHM


class Signer(Protocol):
    key_id: str

    def sign(self, message: bytes) -> bytes: ...


@dataclass(frozen=True, slots=True)
class KmsSigner:
    client: Any
    key_id: str

    def sign(self, message: bytes) -> bytes:
        # RAW: KMS hashes the message itself (up to 4096 bytes); larger documents must be sent as a
        # DIGEST, which is exactly SHA-256 of the bytes and gives the same signature.
        if len(message) <= 4096:
            response = self.client.sign(
                KeyId=self.key_id, Message=message, MessageType="RAW", SigningAlgorithm=SIGNING_ALGORITHM
            )
        else:
            response = self.client.sign(
                KeyId=self.key_id,
                Message=hashlib.sha256(message).digest(),
                MessageType="DIGEST",
                SigningAlgorithm=SIGNING_ALGORITHM,
            )
        return response["Signature"]
