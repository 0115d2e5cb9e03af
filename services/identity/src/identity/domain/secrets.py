"""One-time codes, single-use links and how they are stored (keyed digests, never in clear)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

OTP_DIGITS = 6


def new_code(digits: int = OTP_DIGITS) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def new_token() -> str:
    """256 random bits, URL-safe: for links and refresh tokens."""
    return secrets.token_urlsafe(32)


class Digester:
    """HMAC-SHA256 under a server key: a leaked table of codes or tokens cannot be reversed or
    brute-forced (6 digits would be, with a plain hash) without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def matches(self, value: str, digest: str | None) -> bool:
        return digest is not None and hmac.compare_digest(self(value), digest)
