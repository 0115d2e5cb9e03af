"""Sealed data: values that must cross Kafka without anyone but their one recipient service being able
to read them (one-time codes, link tokens in notification requests). Anyone holding the recipient's
public key can seal; only its private key opens.

Scheme (version 1): an ephemeral X25519 key agreement with the recipient's key, HKDF-SHA256 over the
shared secret bound to both public keys, ChaCha20-Poly1305 with the caller's associated data (what
the sealed values belong to, so that they cannot be moved to another message). The text form is
`v1.` + base64url(ephemeral public key ‖ nonce ‖ ciphertext).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1."
_INFO = b"extranet-sealed-v1"


class SealError(ValueError):
    """Sealed data that cannot be opened (wrong key, altered, moved to another message)."""


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + ephemeral + recipient).derive(shared)


class Sealer:
    """Seals for one recipient, from its public key (PEM)."""

    def __init__(self, public_key_pem: bytes) -> None:
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, X25519PublicKey):
            raise ValueError("the sealing key must be an X25519 public key")
        self._recipient = key

    @classmethod
    def from_file(cls, path: Path) -> Sealer:
        return cls(Path(path).read_bytes())

    def seal(self, values: dict[str, Any], *, context: str) -> str:
        ephemeral = X25519PrivateKey.generate()
        ephemeral_raw, recipient_raw = _raw(ephemeral.public_key()), _raw(self._recipient)
        key = _key(ephemeral.exchange(self._recipient), ephemeral_raw, recipient_raw)
        nonce = os.urandom(12)
        ciphertext = ChaCha20Poly1305(key).encrypt(nonce, json.dumps(values).encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(ephemeral_raw + nonce + ciphertext).decode().rstrip("=")


class Opener:
    """Opens what was sealed for this service, with its private key (PEM)."""

    def __init__(self, private_key_pem: bytes) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, X25519PrivateKey):
            raise ValueError("the opening key must be an X25519 private key")
        self._key = key

    @classmethod
    def from_file(cls, path: Path) -> Opener:
        return cls(Path(path).read_bytes())

    def open(self, sealed: str, *, context: str) -> dict[str, Any]:
        if not sealed.startswith(PREFIX):
            raise SealError("unknown sealing version")
        try:
            raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :] + "=" * (-len(sealed) % 4))
            ephemeral = X25519PublicKey.from_public_bytes(raw[:32])
            key = _key(self._key.exchange(ephemeral), raw[:32], _raw(self._key.public_key()))
            plaintext = ChaCha20Poly1305(key).decrypt(raw[32:44], raw[44:], context.encode())
            values = json.loads(plaintext)
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed data cannot be opened with this key for this message") from exc
        if not isinstance(values, dict):
            raise SealError("sealed data is not a set of values")
        return values


def new_key_pair() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a new X25519 key pair."""
    private = X25519PrivateKey.generate()
    return (
        private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    )
