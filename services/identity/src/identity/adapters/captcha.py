"""Anti-robot check behind an interface: FriendlyCaptcha's verification API, or a test verifier
that only configuration can turn on (EXTRANET_CAPTCHA_MODE=test), never the default."""

from __future__ import annotations

from typing import Protocol

import httpx

from extranet_plumbing.logging import get_logger

log = get_logger(__name__)
TEST_SOLUTION = "test-captcha-solution"


class CaptchaVerifier(Protocol):
    async def verify(self, solution: str | None, client_ip: str | None) -> bool: ...


class FriendlyCaptchaVerifier:
    """https://docs.friendlycaptcha.com/#/verification_api: POST /api/v1/siteverify."""

    def __init__(
        self, *, secret: str, sitekey: str | None, api_url: str = "https://api.friendlycaptcha.com", client: httpx.AsyncClient | None = None
    ) -> None:
        self._secret, self._sitekey = secret, sitekey
        self._client = client or httpx.AsyncClient(base_url=api_url, timeout=5.0)

    async def verify(self, solution: str | None, client_ip: str | None) -> bool:
        if not solution:
            return False
        body = {"solution": solution, "secret": self._secret}
        if self._sitekey:
            body["sitekey"] = self._sitekey
        try:
            response = await self._client.post("/api/v1/siteverify", json=body)
        except httpx.HTTPError as exc:
            log.error("captcha verification unreachable", error_class=type(exc).__name__)
            return False  # fail closed
        if response.status_code != 200:
            log.error("captcha verification refused our request", status=response.status_code)
            return False
        return response.json().get("success") is True


class TestCaptchaVerifier:
    """Accepts exactly `TEST_SOLUTION`. Only for tests and the demo stack, turned on explicitly."""

    async def verify(self, solution: str | None, client_ip: str | None) -> bool:
        return solution == TEST_SOLUTION
