"""The identity routes as the portals reach them, through the gateway: who may call what."""

from __future__ import annotations

import httpx
import pytest

from identity.adapters.captcha import TEST_SOLUTION

PASSWORD = "Courtier-Test-2026"
PROTECTED = [
    ("GET", "/api/me"),
    ("POST", "/api/me/password"),
    ("PUT", "/api/me/contact"),
    ("PUT", "/api/me/notification-email"),
    ("DELETE", "/api/me"),
    ("GET", "/api/me/correspondents"),
    ("POST", "/api/me/correspondents"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/terms"),
    ("POST", "/api/auth/terms/accept"),
    ("POST", "/api/auth/terms/refuse"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_anonymous_callers_get_401_on_every_protected_identity_route(platform, method, path):
    response = await platform.gateway.request(method, path, json={})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_broker_sees_their_own_profile_and_no_correspondents(platform):
    await platform.create_broker_login("M40001", PASSWORD)
    await platform.create_broker_login("M40002", PASSWORD)
    token = await platform.login("M40001", PASSWORD)
    auth = {"authorization": f"Bearer {token}"}
    me = await platform.gateway.get("/api/me", headers=auth)
    assert me.status_code == 200 and me.json()["identifier"] == "M40001"
    assert (await platform.gateway.get("/api/me/correspondents", headers=auth)).status_code == 403
    created = await platform.gateway.post(
        "/api/me/correspondents",
        headers=auth,
        json={"identifier": "intrus", "last_name": "X", "first_name": "Y", "email": "x@y.fr", "contracts": ["M1000304"]},
    )
    assert created.status_code == 403
    assert (await platform.gateway.post("/api/auth/logout", headers=auth)).status_code == 204


async def test_failed_logins_from_one_address_call_for_a_captcha_then_are_refused(platform):
    await platform.create_broker_login("M40003", PASSWORD)
    settings = platform.identity.settings
    before_captcha, refused_after = settings.login_failures_before_captcha, settings.login_failures_per_address

    async def attempt(i: int, **extra) -> httpx.Response:
        body = {"portal": "broker", "identifier": f"M4{i:04d}", "password": "x", **extra}
        return await platform.gateway.post("/api/auth/login", json=body)

    answers = [await attempt(i) for i in range(before_captcha + 1)]
    assert [a.status_code for a in answers[:before_captcha]] == [401] * before_captcha
    assert answers[-1].status_code == 400 and answers[-1].json()["errors"][0]["field"] == "captcha"
    answers = [await attempt(i, captcha=TEST_SOLUTION) for i in range(before_captcha, refused_after + 1)]
    assert [a.status_code for a in answers[:-1]] == [401] * (refused_after - before_captcha)
    assert answers[-1].status_code == 429
    right = {"portal": "broker", "identifier": "M40003", "password": PASSWORD, "captcha": TEST_SOLUTION}
    blocked = await platform.gateway.post("/api/auth/login", json=right)
    assert blocked.status_code == 429  # even the right password, from that address, for a while
