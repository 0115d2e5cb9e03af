"""Secrets generated once into .stack/secrets/: the PostgreSQL password, the Ed25519 key pair
that signs access tokens (PKCS8 / SubjectPublicKeyInfo PEM), the X25519 key pair that seals codes
and links for the notifications service, the password of each Kafka
principal (`kafka-<principal>-password`: admin, controller, one per principal of deploy/services.toml),
and the service-to-service credentials (`<name>-credential`: the gateway's, the operators')."""

from __future__ import annotations

import os
import secrets as _random  # the standard library module
from pathlib import Path

from devstack.config import Layout

PG_PASSWORD = "postgres-password"
JWT_PRIVATE = "jwt-private.pem"
JWT_PUBLIC = "jwt-public.pem"
SEAL_PRIVATE = "notifications-seal-private.pem"
SEAL_PUBLIC = "notifications-seal-public.pem"


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _dir(layout: Layout) -> Path:
    layout.secrets.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.secrets, 0o700)
    return layout.secrets


def pg_password(layout: Layout) -> str:
    path = _dir(layout) / PG_PASSWORD
    if not path.is_file():
        _write_private(path, (_random.token_urlsafe(24) + "\n").encode())
    return path.read_text().strip()


def kafka_password(layout: Layout, principal: str) -> str:
    """The password of Kafka principal `principal`, generated once (URL-safe: no character SCRAM or
    the broker's properties would read specially)."""
    if not principal.replace("-", "").isalnum():
        raise ValueError(f"not a principal name: {principal!r}")
    path = _dir(layout) / f"kafka-{principal}-password"
    if not path.is_file():
        _write_private(path, (_random.token_urlsafe(24) + "\n").encode())
    return path.read_text().strip()


GATEWAY = "gateway"
OPERATOR = "operator"


def credential(layout: Layout, name: str) -> str:
    """The service-to-service credential `name` (gateway, operator), generated once."""
    if name not in (GATEWAY, OPERATOR):
        raise ValueError(f"not a credential name: {name!r}")
    path = _dir(layout) / f"{name}-credential"
    if not path.is_file():
        _write_private(path, (_random.token_urlsafe(32) + "\n").encode())
    return path.read_text().strip()


def jwt_keys(layout: Layout) -> tuple[Path, Path]:
    """(private, public) PEM files, generated if missing (needs the `cryptography` package)."""
    folder = _dir(layout)
    private, public = folder / JWT_PRIVATE, folder / JWT_PUBLIC
    if private.is_file() and public.is_file():
        return private, public
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    _write_private(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def seal_keys(layout: Layout) -> tuple[Path, Path]:
    """(private, public) X25519 PEM files of the notifications service's sealing key, generated if
    missing: requesters seal codes and links with the public one, only notifications opens them."""
    folder = _dir(layout)
    private, public = folder / SEAL_PRIVATE, folder / SEAL_PUBLIC
    if private.is_file() and public.is_file():
        return private, public
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.generate()
    _write_private(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def ensure_all(layout: Layout) -> None:
    pg_password(layout)
    jwt_keys(layout)
    seal_keys(layout)
    kafka_password(layout, "admin")
