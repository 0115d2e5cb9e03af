"""The FriendlyCaptcha verifier against a server speaking FriendlyCaptcha's verification API."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from identity.adapters.captcha import FriendlyCaptchaVerifier, TestCaptchaVerifier
from identity.bootstrap import captcha_verifier
from identity.settings import IdentitySettings


def friendlycaptcha(status: int = 200) -> tuple[FastAPI, list[dict]]:
    app, seen = FastAPI(), []

    @app.post("/api/v1/siteverify")
    async def siteverify(request: Request) -> JSONResponse:
        body = await request.json()
        seen.append(body)
        if status != 200:
            return JSONResponse({"success": False, "errors": ["bad_request"]}, status_code=status)
        if body.get("secret") != "s3cret":
            return JSONResponse({"success": False, "errors": ["secret_invalid"]}, status_code=401)
        return JSONResponse({"success": body["solution"] == "good-solution", "errors": []})

    return app, seen


def verifier(app: FastAPI, secret: str = "s3cret") -> FriendlyCaptchaVerifier:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="https://api.friendlycaptcha.com")
    return FriendlyCaptchaVerifier(secret=secret, sitekey="FCMTEST", client=client)


async def test_a_solved_puzzle_passes_and_the_request_carries_secret_and_sitekey():
    app, seen = friendlycaptcha()
    assert await verifier(app).verify("good-solution", "203.0.113.7") is True
    assert seen == [{"solution": "good-solution", "secret": "s3cret", "sitekey": "FCMTEST"}]
    assert await verifier(app).verify("forged", None) is False
    assert await verifier(app).verify(None, None) is False
    assert len(seen) == 2  # no call without a solution


async def test_it_fails_closed():
    assert await verifier(friendlycaptcha(status=500)[0]).verify("good-solution", None) is False
    assert await verifier(friendlycaptcha()[0], secret="wrong").verify("good-solution", None) is False
    unreachable = FriendlyCaptchaVerifier(secret="s3cret", sitekey=None, api_url="http://127.0.0.1:9")
    assert await unreachable.verify("good-solution", None) is False


def test_the_test_verifier_is_never_the_default():
    with pytest.raises(RuntimeError, match="EXTRANET_CAPTCHA_SECRET"):
        captcha_verifier(IdentitySettings(captcha_mode="friendlycaptcha", captcha_secret=None))
    assert isinstance(captcha_verifier(IdentitySettings(captcha_mode="test")), TestCaptchaVerifier)
    assert isinstance(captcha_verifier(IdentitySettings(captcha_secret="s3cret")), FriendlyCaptchaVerifier)
