"""Password hashing (argon2id, off the event loop) and access-token signing (EdDSA)."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from extranet_plumbing.auth import ALGORITHM, AUDIENCE, ISSUER

# argon2-cffi's defaults (RFC 9106 low-memory: t=3, m=64 MiB, p=4) exceed OWASP's minimum for argon2id.
_hasher = PasswordHasher()
# Verified against when the identifier is unknown, so that both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-" + uuid.uuid4().hex)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


class TokenIssuer:
    def __init__(self, private_key_pem: bytes, ttl_seconds: int) -> None:
        self._key = private_key_pem
        self._ttl = ttl_seconds

    def access_token(self, *, subject: str, kind: str, tenant: str, scope: dict, extra: dict | None = None) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            **(extra or {}),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
            "typ": "access",
            "kind": kind,
            "tenant": tenant,
            "scope": scope,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), self._ttl
